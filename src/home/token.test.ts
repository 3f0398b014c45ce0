// The access token is made once, whole, with mode 0600, even when several processes start at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureToken } from './token.js';

const TOKEN_MODULE = new URL('./token.js', import.meta.url).href;

/**
 * Starts a node process that says `ready`, waits for `start` to exist, then runs
 * ensureToken(file) and prints the token; `ready` resolves when it is waiting, `token` at its end.
 */
const racer = (file: string, start: string): { ready: Promise<void>; token: Promise<string> } => {
  const code = `import { existsSync } from 'node:fs'; import { ensureToken } from ${JSON.stringify(TOKEN_MODULE)};
    process.stdout.write('ready\\n'); const until = Date.now() + 20000;
    while (!existsSync(${JSON.stringify(start)}) && Date.now() < until);
    process.stdout.write(ensureToken(${JSON.stringify(file)}));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('ready\n')) onReady();
  });
  const token = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status) => (status === 0 ? resolve(out.replace('ready\n', '')) : reject(new Error(`ensureToken process exited with ${status}`))));
  });
  void token.catch(() => onReady());
  return { ready, token };
};

void describe('ensureToken', () => {
  void test('given no token, when eight processes ask at the same moment, then all get the one token in the file, mode 0600, folder 0700', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-token-'));
    try {
      for (let round = 0; round < 3; round++) {
        const file = join(dir, `r${round}`, 'token');
        const start = join(dir, `start-${round}`);
        const racers = Array.from({ length: 8 }, () => racer(file, start));
        await Promise.all(racers.map((r) => r.ready));
        writeFileSync(start, '');
        const tokens = await Promise.all(racers.map((r) => r.token));
        assert.equal(new Set(tokens).size, 1, `one token for all: ${tokens.join(' ')}`);
        assert.equal(tokens[0], ensureToken(file));
        assert.ok((tokens[0] ?? '').length >= 43);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(statSync(join(dir, `r${round}`)).mode & 0o777, 0o700);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('given a file that holds no usable token, then it is an error naming the file, and the file is left alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-token-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, 'short\n', { mode: 0o600 });
      assert.throws(() => ensureToken(file), new RegExp(`${file} holds no usable token: delete it`));
      writeFileSync(file, '\n');
      assert.throws(() => ensureToken(file), /holds no usable token/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
