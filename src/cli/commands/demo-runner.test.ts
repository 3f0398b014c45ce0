// Given a command started early, when nothing has shown it yet, then its output is held; when it
// is shown, then the command line, the held output (each stream to its own) and the rest follow.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoRunner } from './demo-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-demo-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// A stand-in for the binary: echoes its arguments, writes to stderr, then waits for stdin to end.
const bin = join(dir, 'fake.mjs');
writeFileSync(
  bin,
  [
    "process.stdout.write(`first ${process.argv.slice(2).join(' ')}\\n`);",
    "process.stderr.write('to stderr\\n');",
    "let input = '';",
    "process.stdin.on('data', (c) => (input += c));",
    "process.stdin.on('end', () => { process.stdout.write(`read ${input}\\n`); process.exitCode = 3; });",
  ].join('\n'),
);

test('output is held until shown, then printed in order and followed live', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const r = demoRunner({ bin, cwd: dir, env: process.env, out: (s) => void out.push(s), err: (s) => void err.push(s) });
  const early = r.start(['deploy', 'staging'], 'the input');
  await early.firstOutput;
  await early.done;
  assert.deepEqual(out, [], 'nothing printed before its chapter');
  assert.deepEqual(err, []);
  const result = await early.show();
  assert.equal(result.code, 3);
  assert.equal(result.out, 'first deploy staging\nread the input\n');
  assert.equal(out.join(''), '\n$ slipway deploy staging\nfirst deploy staging\nread the input\n');
  assert.equal(err.join(''), 'to stderr\n');
});

test('slipway(args, false) runs quietly; a custom command line is shown as given', async () => {
  const out: string[] = [];
  const r = demoRunner({ bin, cwd: dir, env: process.env, out: (s) => void out.push(s), err: () => undefined });
  assert.equal((await r.slipway(['status'], false)).out, 'first status\nread \n');
  assert.deepEqual(out, []);
  await r.start(['secrets', 'set'], 'x').show('printf %s "$X" | slipway secrets set');
  assert.match(out.join(''), /^\n\$ printf %s "\$X" \| slipway secrets set\nfirst secrets set\n/);
});
