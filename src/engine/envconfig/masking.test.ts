import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createMasker, MASK } from '../../secrets/mask.js';
import type { Store } from '../../ports/store.js';
import type { EngineNotice } from '../bus.js';
import { MaskingBus, maskDeep, maskingStore } from './masking.js';

const SECRET = 'tok-1234567890';
const masker = createMasker([SECRET]);

describe('maskDeep', () => {
  test('masks strings at any depth, keys included, and keeps other values', () => {
    const input = { reason: `failed: ${SECRET}`, n: 3, ok: true, none: null, list: [`a ${Buffer.from(SECRET).toString('base64')}`, 1], [SECRET]: { deep: JSON.stringify({ SECRET }) } };
    const out = maskDeep(input, masker);
    assert.deepEqual(out, { reason: `failed: ${MASK}`, n: 3, ok: true, none: null, list: [`a ${MASK}`, 1], [MASK]: { deep: `{"SECRET":"${MASK}"}` } });
    assert.equal(input.reason, `failed: ${SECRET}`, 'the input is left as it was');
    assert.equal(maskDeep(input, createMasker([])), input, 'nothing to mask: the same object');
  });
});

describe('maskingStore', () => {
  test('masks the free text a store is given, passes everything else through', async () => {
    const calls: unknown[][] = [];
    const record = (name: string) => (...args: unknown[]): Promise<undefined> => {
      calls.push([name, ...args]);
      return Promise.resolve(undefined);
    };
    const fake = {
      schemaVersion: 4,
      appendLog: (l: unknown) => {
        calls.push(['appendLog', l]);
        return l;
      },
      appendEvent: record('appendEvent'),
      updateRun: record('updateRun'),
      updateStep: record('updateStep'),
      updateDeployment: record('updateDeployment'),
      markBadDigest: record('markBadDigest'),
      getRun: record('getRun'),
    } as unknown as Store;
    let current = createMasker([]);
    const s = maskingStore(fake, () => current);
    await s.updateRun('r1', { reason: SECRET });
    current = masker;
    const line = s.appendLog({ runId: 'r1', step: 'test', at: 'now', stream: 'stdout', line: `echo ${SECRET}` });
    await s.appendEvent({ kind: 'k', actor: 'a', subject: 's', data: { reason: SECRET } }, 'now');
    await s.updateStep('r1', 'test', { reason: `x ${SECRET}` });
    await s.updateDeployment('d1', { reason: SECRET });
    await s.markBadDigest('sha256:1', 'staging', SECRET, 'now');
    await s.getRun(SECRET);
    assert.equal(line.line, `echo ${MASK}`);
    assert.equal(s.schemaVersion, 4);
    assert.deepEqual(calls, [
      ['updateRun', 'r1', { reason: SECRET }],
      ['appendLog', { runId: 'r1', step: 'test', at: 'now', stream: 'stdout', line: `echo ${MASK}` }],
      ['appendEvent', { kind: 'k', actor: 'a', subject: 's', data: { reason: MASK } }, 'now'],
      ['updateStep', 'r1', 'test', { reason: `x ${MASK}` }],
      ['updateDeployment', 'd1', { reason: MASK }],
      ['markBadDigest', 'sha256:1', 'staging', MASK, 'now'],
      ['getRun', SECRET],
    ]);
  });
});

describe('MaskingBus', () => {
  test('subscribers see masked notices', () => {
    const bus = new MaskingBus(() => masker);
    const seen: EngineNotice[] = [];
    bus.subscribe((n) => seen.push(n));
    bus.publish({ type: 'step', runId: 'r1', step: 'test', status: 'failed', at: 'now', reason: `bad ${SECRET}` });
    assert.deepEqual(seen, [{ type: 'step', runId: 'r1', step: 'test', status: 'failed', at: 'now', reason: `bad ${MASK}` }]);
  });
});
