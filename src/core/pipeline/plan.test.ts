import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDag, nextDecision, type SchedulerView } from './plan.js';

const view = (name: string, needs: string[], status: SchedulerView['status'] = 'pending'): SchedulerView => ({ name, needs, status });

describe('checkDag', () => {
  test('a sound DAG has no problems', () => {
    assert.deepEqual(checkDag([{ name: 'build', needs: [] }, { name: 'test', needs: ['build'] }, { name: 'lint', needs: [] }]), []);
  });
  test('names an unknown need', () => {
    assert.deepEqual(checkDag([{ name: 'test', needs: ['biuld'] }]), [{ kind: 'unknown-need', step: 'test', need: 'biuld' }]);
  });
  test('names the steps of a cycle in order', () => {
    const problems = checkDag([{ name: 'a', needs: ['c'] }, { name: 'b', needs: ['a'] }, { name: 'c', needs: ['b'] }]);
    assert.deepEqual(problems, [{ kind: 'cycle', cycle: ['a', 'c', 'b', 'a'] }]);
  });
  test('a step that needs itself is a cycle', () => {
    assert.deepEqual(checkDag([{ name: 'a', needs: ['a'] }]), [{ kind: 'cycle', cycle: ['a', 'a'] }]);
  });
  test('reports duplicate names', () => {
    assert.deepEqual(checkDag([{ name: 'a', needs: [] }, { name: 'a', needs: [] }]), [{ kind: 'duplicate', step: 'a' }]);
  });
});

describe('nextDecision', () => {
  test('starts the roots first, up to the concurrency limit', () => {
    const d = nextDecision([view('build', []), view('lint', []), view('fmt', []), view('test', ['build'])], 2);
    assert.deepEqual(d, { kind: 'start', steps: ['build', 'lint'] });
  });
  test('waits while a need is running', () => {
    assert.deepEqual(nextDecision([view('build', [], 'running'), view('test', ['build'])], 4), { kind: 'wait' });
  });
  test('starts a step once all of its needs passed', () => {
    const d = nextDecision([view('build', [], 'passed'), view('lint', [], 'passed'), view('test', ['build', 'lint'])], 4);
    assert.deepEqual(d, { kind: 'start', steps: ['test'] });
  });
  test('skips the dependants of a failed step, naming the failure', () => {
    const d = nextDecision([view('build', [], 'failed'), view('test', ['build']), view('e2e', ['test'])], 4);
    assert.deepEqual(d, { kind: 'skip', steps: ['test'], because: { test: 'build' } });
    const d2 = nextDecision([view('build', [], 'failed'), view('test', ['build'], 'skipped'), view('e2e', ['test'])], 4);
    assert.deepEqual(d2, { kind: 'skip', steps: ['e2e'], because: { e2e: 'test' } });
  });
  test('is done and failed when anything did not pass', () => {
    assert.deepEqual(nextDecision([view('build', [], 'failed'), view('test', ['build'], 'skipped')], 4), { kind: 'done', ok: false });
  });
  test('is done and green when everything passed', () => {
    assert.deepEqual(nextDecision([view('build', [], 'passed'), view('test', ['build'], 'passed')], 1), { kind: 'done', ok: true });
  });
  test('a full runner never starts more', () => {
    assert.deepEqual(nextDecision([view('a', [], 'running'), view('b', [])], 1), { kind: 'wait' });
  });
});
