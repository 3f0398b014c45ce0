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

void test('instance log: rotated at maxBytes to FILE.1, FILE.2…, no line lost or split, read back in order', async () => {
  const { logFilesInOrder } = await import('../adapters/retention/rotate.js');
  const { createFsLogDisk } = await import('../adapters/retention/logs.js');
  const home = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(home, 'logs', 'staging'), { recursive: true });
    const file = join(home, 'logs', 'staging', 'i.log');
    const log = openInstanceLog(file, createMasker([]), { maxBytes: 2000 });
    const out = log.sink('out');
    for (let i = 0; i < 300; i++) out.push(Buffer.from(`line ${i}\n`));
    log.close();
    const files = logFilesInOrder(file);
    assert.ok(files.length >= 3, `rotated more than once: ${files.join(', ')}`);
    assert.deepEqual(files.slice(-2), [`${file}.1`, file]);
    const all = files.flatMap((f) => readFileSync(f, 'utf8').trimEnd().split('\n').filter((l) => l !== ''));
    assert.deepEqual(all.map((l) => l.replace(/^\S+ out /, '')), Array.from({ length: 300 }, (_, i) => `line ${i}`));
    for (const f of files.slice(0, -1)) assert.ok(readFileSync(f).length >= 2000 && readFileSync(f).length < 2100, `${f} was rotated at the size`);
    const tail = await createFsLogDisk({ home }).tail(file, 120);
    assert.deepEqual(tail.map((l) => l.replace(/^\S+ out /, '')), Array.from({ length: 120 }, (_, i) => `line ${180 + i}`), 'the tail spans the rotated files');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

void test('instance log: a burst of output in one chunk still rotates at the size, each file past it by at most one line', async () => {
  const { logFilesInOrder } = await import('../adapters/retention/rotate.js');
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const file = join(dir, 'i.log');
    const log = openInstanceLog(file, createMasker([]), { maxBytes: 1000 });
    const out = log.sink('out');
    const lines = Array.from({ length: 60 }, (_, i) => `burst line ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`);
    out.push(Buffer.from(lines.join('\n') + '\n'));
    log.close();
    const files = logFilesInOrder(file);
    assert.ok(files.length >= 3, `one chunk of ${lines.length} lines rotated more than once: ${files.join(', ')}`);
    const longest = Math.max(...files.flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l) => Buffer.byteLength(l) + 1)));
    for (const f of files.slice(0, -1)) {
      const n = readFileSync(f).length;
      assert.ok(n >= 1000 && n < 1000 + longest, `${f}: ${n} bytes, rotated at 1000 within one line of ${longest}`);
    }
    const all = files.flatMap((f) => readFileSync(f, 'utf8').trimEnd().split('\n'));
    assert.deepEqual(all.map((l) => l.replace(/^\S+ out /, '')), lines, 'every line once, in order');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('a daemon log rotated by copy: the writer keeps appending at the start of the emptied file', async () => {
  const { rotateByCopy, logFilesInOrder } = await import('../adapters/retention/rotate.js');
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const file = join(dir, 'server.log');
    const fd = openSync(file, 'a');
    writeSync(fd, 'one\n');
    rotateByCopy(file);
    writeSync(fd, 'two\n');
    rotateByCopy(file);
    writeSync(fd, 'three\n');
    closeSync(fd);
    assert.deepEqual(logFilesInOrder(file).map((f) => readFileSync(f, 'utf8')), ['one\n', 'two\n', 'three\n']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
