import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { acquireLock, lockHeldByOther, lockHolder } from './lock.js';

const LOCK_MODULE = new URL('./lock.js', import.meta.url).href;

/**
 * A process that waits for "go" on stdin, tries the lock once, prints "took" or "refused", then
 * stays alive (holding what it took) until its stdin closes.
 */
const contender = (file: string): { child: ChildProcess; ready: Promise<void>; answer: Promise<string> } => {
  const code = `
    const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
    process.stdin.once('data', () => {
      process.stdout.write(acquireLock(${JSON.stringify(file)}) ? 'took\\n' : 'refused\\n');
      process.stdin.on('end', () => process.exit(0));
      process.stdin.resume();
    });
    process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.startsWith('ready\n')) resolve();
  }));
  // What it printed after "ready", or how it ended when it died without a word (an exception).
  const answer = ready.then(() => new Promise<string>((resolve) => {
    const check = (): void => {
      const rest = out.slice('ready\n'.length).trim();
      if (rest !== '') resolve(rest);
      else if (child.exitCode !== null || child.signalCode !== null) resolve(`ended (${child.exitCode ?? child.signalCode}) without an answer`);
      else setTimeout(check, 5);
    };
    check();
  }));
  return { child, ready, answer };
};

const race = async (file: string, n: number): Promise<{ took: number[]; answers: string[]; all: ChildProcess[] }> => {
  const cs = Array.from({ length: n }, () => contender(file));
  // All started and waiting, then told to go at once.
  await Promise.all(cs.map((c) => c.ready));
  for (const c of cs) c.child.stdin?.write('go\n');
  const answers = await Promise.all(cs.map((c) => c.answer));
  return { took: cs.flatMap((c, i) => (answers[i] === 'took' ? [c.child.pid ?? -1] : [])), answers, all: cs.map((c) => c.child) };
};

const endAll = async (all: ChildProcess[]): Promise<void> => {
  await Promise.all(all.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null) return resolve();
    c.on('exit', () => resolve());
    c.stdin?.end();
  })));
};

/** A pid no process has: a child that has exited and been reaped. */
const deadPid = async (): Promise<number> => {
  const c = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => c.on('exit', r));
  return c.pid ?? 999_999;
};

describe('the control-plane lock', () => {
  test('processes racing for it: exactly one takes it and the file names that one, from no lock, a dead holder or an empty file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-lock-'));
    try {
      const file = join(dir, 'server.lock');
      const starts: Record<string, () => Promise<void>> = {
        'no lock file': () => Promise.resolve(),
        'a dead holder': async () => writeFileSync(file, String(await deadPid())),
        'an empty file left long ago': () => {
          writeFileSync(file, '');
          const old = new Date(Date.now() - 60_000);
          utimesSync(file, old, old);
          return Promise.resolve();
        },
      };
      for (const [what, setUp] of Object.entries(starts)) {
        for (let round = 0; round < 2; round++) {
          rmSync(file, { force: true });
          await setUp();
          const { took, answers, all } = await race(file, 8);
          try {
            assert.equal(took.length, 1, `${what}, round ${round + 1}: ${answers.join(', ')}`);
            assert.ok(answers.every((a) => a === 'took' || a === 'refused'), answers.join(', '));
            assert.equal(lockHolder(file), took[0], `${what}: the file names the one that took it`);
            assert.equal(lockHeldByOther(file), true);
            assert.equal(acquireLock(file), false, 'and this process is refused too');
          } finally {
            await endAll(all);
          }
          assert.deepEqual(readdirSync(dir).filter((n) => n !== 'server.lock'), [], 'no temporary or break file is left');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a live holder keeps it; a fresh empty file is someone taking it; a dead holder’s is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-lock-'));
    const file = join(dir, 'server.lock');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(file, String(sleeper.pid));
      assert.equal(acquireLock(file), false);
      assert.equal(lockHolder(file), sleeper.pid, 'a live holder’s lock is left as it is');
      writeFileSync(file, '');
      assert.equal(lockHeldByOther(file), true, 'an empty lock file just made is a process taking the lock');
      assert.equal(acquireLock(file), false);
      assert.ok(existsSync(file));
      writeFileSync(file, String(await deadPid()));
      assert.equal(lockHeldByOther(file), false);
      assert.equal(acquireLock(file), true);
      assert.equal(lockHolder(file), process.pid);
      assert.equal(acquireLock(file), true, 'taking it again is a no-op for its holder');
      assert.deepEqual(readdirSync(dir), ['server.lock']);
    } finally {
      sleeper.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
