import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAST_LINES, openInstanceLog } from './log.js';
import { MASK, createMasker } from './mask.js';

void test('instance log: timestamped lines per stream, partial lines joined, secrets masked across chunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const file = join(dir, 'i.log');
    const log = openInstanceLog(file, createMasker(['topsecret']));
    const out = log.sink('out');
    const err = log.sink('err');
    out.push(Buffer.from('hello\npartial '));
    err.push(Buffer.from('oops top'));
    out.push(Buffer.from('line\r\n'));
    err.push(Buffer.from('secret!\n'));
    // a multi-byte character split between chunks
    const e = Buffer.from('é\n');
    out.push(e.subarray(0, 1));
    out.push(e.subarray(1));
    out.push(Buffer.from('no newline at the end'));
    out.end();
    err.end();
    log.note('stopping (topsecret)');
    log.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const body = lines.map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (out|err|slipway) (.*)$/.exec(l);
      assert.ok(m, `bad line: ${l}`);
      return `${m[2]} ${m[3]}`;
    });
    assert.deepEqual(body, ['out hello', 'out partial line', `err oops ${MASK}!`, 'out é', 'out no newline at the end', `slipway stopping (${MASK})`]);
    assert.deepEqual(openInstanceLog(file, createMasker([])).lastLines(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('instance log keeps only the last lines for crash reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const log = openInstanceLog(join(dir, 'i.log'), createMasker([]));
    const out = log.sink('out');
    for (let i = 0; i < LAST_LINES + 5; i++) out.push(Buffer.from(`line ${i}\n`));
    log.note('exited');
    const last = log.lastLines();
    assert.equal(last.length, LAST_LINES);
    assert.equal(last[0], 'line 6');
    assert.equal(last[LAST_LINES - 1], 'slipway: exited');
    log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
