// Tests of the queue's reports: the failing gate and step, its reason and output, the log command,
// conflicts, and retries.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StepRecord } from '../run.js';
import { conflictReport, describeRetry, failureReport, formatReport, REPORT_OUTPUT_LINES, retriesOf } from './report.js';

const step = (name: string, extra: Partial<StepRecord>): StepRecord => ({ runId: 'r4', name, kind: 'command', needs: [], status: 'passed', attempts: 1, ...extra });

describe('failureReport', () => {
  test('names the first step that failed, its kind, reason, last output and log command', () => {
    const steps = [
      step('build', { kind: 'build', finishedAt: '2026-01-01T00:00:01Z' }),
      step('deps', { kind: 'dependency-audit', status: 'failed', finishedAt: '2026-01-01T00:00:03Z', reason: 'later failure' }),
      step('secrets', { kind: 'secret-scan', status: 'failed', finishedAt: '2026-01-01T00:00:02Z', reason: '1 credential(s) found\nmore' }),
      step('test', { status: 'canceled' }),
    ];
    const out = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const r = failureReport({ id: 'r4', reason: 'x' }, steps, (s) => (s === 'secrets' ? out : []));
    assert.equal(r.kind, 'gate');
    if (r.kind !== 'gate') return;
    assert.equal(r.step, 'secrets');
    assert.equal(r.gateKind, 'secret scan');
    assert.equal(r.logs, 'slipway logs r4 --step secrets');
    assert.equal(r.output.length, REPORT_OUTPUT_LINES);
    assert.equal(r.output.at(-1), 'line 29');
    assert.equal(r.message, 'gate "secrets" (secret scan) failed in run r4: 1 credential(s) found');
    const text = formatReport(r).join('\n');
    for (const want of ['gate:   secrets (secret scan)', 'step:   secrets', 'reason: 1 credential(s) found', 'log:    slipway logs r4 --step secrets', '    line 29']) assert.ok(text.includes(want), want);
  });

  test('a failed build is reported as the build', () => {
    const r = failureReport({ id: 'r2' }, [step('build', { kind: 'build', status: 'failed', reason: 'exited with code 2' })], () => []);
    assert.equal(r.message, 'the build failed in run r2: exited with code 2');
  });

  test('without a failed step, the run’s own reason', () => {
    const r = failureReport({ id: 'r9', reason: 'the run could not proceed: no checkout\ndetails' }, [step('build', { status: 'canceled' })], () => []);
    assert.deepEqual(r, { kind: 'error', message: 'run r9 did not pass: the run could not proceed: no checkout', runId: 'r9' });
    assert.deepEqual(formatReport(r), [r.message, '  log:    slipway logs r9']);
  });
});

test('conflictReport lists the files, or says the histories are unrelated', () => {
  const r = conflictReport(['a.txt', 'b/c.txt'], 'f'.repeat(40), 'feature');
  assert.equal(r.message, 'feature does not merge cleanly with main (ffffffffffff): conflicts in a.txt, b/c.txt');
  assert.ok(formatReport(r).includes('  conflict: b/c.txt'));
  const many = conflictReport(Array.from({ length: 12 }, (_, i) => `f${i}`), undefined, 'x');
  assert.match(many.message, /, … \(12 files\)$/);
  assert.match(conflictReport([], 'a'.repeat(40), 'x').message, /nothing in common/);
});

test('retriesOf keeps the steps that took more than one attempt, with what went wrong before', () => {
  const steps = [step('test', { attempts: 3, status: 'passed' }), step('lint', { attempts: 1 })];
  const r = retriesOf('r4', steps, [
    { step: 'test', previous: 'exited with code 1' },
    { step: 'test', previous: 'exited with code 2' },
  ]);
  assert.deepEqual(r, [{ runId: 'r4', step: 'test', attempts: 3, previous: ['exited with code 1', 'exited with code 2'], status: 'passed' }]);
  assert.equal(describeRetry(r[0]!), 'test passed on attempt 3 in run r4 (earlier: exited with code 1; exited with code 2)');
});
