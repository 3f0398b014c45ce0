import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_BACKOFF, STATE_SCHEMA, nextBackoff, parseShimConfig, parseShimState, type ShimConfig, type ShimState } from './protocol.js';

const state: ShimState = {
  schema: STATE_SCHEMA, id: 'staging-v1-1-abcdef', seq: 3, shimPid: 10, appPid: 11, port: 4000, phase: 'running', armed: true,
  restarts: 1, startedAt: '2024-05-01T10:00:00.000Z', appStartedAt: '2024-05-01T10:00:01.000Z', backoffMs: 100,
  lastExit: { code: null, signal: 'SIGKILL', at: '2024-05-01T10:00:00.900Z', lastLines: ['listening'] }, error: null, updatedAt: '2024-05-01T10:00:01.000Z',
};

const config: ShimConfig = {
  id: 'staging-v1-1-abcdef', command: 'node server.js', launch: { file: '/bin/sh', args: ['-c', 'node server.js'] }, cwd: '/r', logFile: '/l', stateFile: '/s', port: 4000, graceMs: 1000,
  backoff: DEFAULT_BACKOFF, maskValues: ['x'],
};

void describe('shim protocol', () => {
  void test('a state file round-trips', () => {
    assert.deepEqual(parseShimState(JSON.parse(JSON.stringify(state))), state);
    assert.deepEqual(parseShimState({ ...state, appPid: null, lastExit: null }), { ...state, appPid: null, lastExit: null });
  });

  void test('malformed state files are rejected', () => {
    for (const bad of [
      null, [], 'x', { ...state, schema: 'other' }, { ...state, seq: '3' }, { ...state, phase: 'dancing' }, { ...state, appPid: 1.5 },
      { ...state, armed: 'yes' }, { ...state, lastExit: { ...state.lastExit, lastLines: [1] } }, { ...state, lastExit: 'crashed' },
      { ...state, backoffMs: -0.5 }, { ...state, port: undefined },
    ]) {
      assert.equal(parseShimState(bad), null, JSON.stringify(bad));
    }
  });

  void test('a config round-trips; malformed ones say what is wrong', () => {
    assert.deepEqual(parseShimConfig(JSON.stringify(config)), config);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /SLIPWAY_SHIM_CONFIG is not set/],
      ['{', /not JSON/],
      ['[]', /must be an object/],
      [JSON.stringify({ ...config, command: '' }), /command must be a non-empty string/],
      [JSON.stringify({ ...config, port: 70000 }), /port must be 1\.\.65535/],
      [JSON.stringify({ ...config, graceMs: -1 }), /graceMs/],
      [JSON.stringify({ ...config, backoff: { initialMs: 0, maxMs: 1, resetAfterMs: 1 } }), /backoff/],
      [JSON.stringify({ ...config, maskValues: [1] }), /maskValues/],
      [JSON.stringify({ ...config, launch: { file: '', args: [] } }), /launch must be/],
      [JSON.stringify({ ...config, launch: { file: 'bwrap', args: ['x'], uid: 'root' } }), /launch\.uid/],
    ];
    for (const [text, message] of cases) {
      const r = parseShimConfig(text);
      assert.equal(typeof r, 'string');
      assert.match(r as string, message);
    }
  });

  void test('backoff doubles up to the maximum and resets after a long run', () => {
    const p = { initialMs: 100, maxMs: 1000, resetAfterMs: 30_000 };
    const seq: number[] = [];
    let b: number | null = null;
    for (let i = 0; i < 6; i++) seq.push((b = nextBackoff(b, 10, p)));
    assert.deepEqual(seq, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(nextBackoff(1000, 30_000, p), 100);
  });
});
