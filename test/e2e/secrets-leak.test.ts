// The leak test of SPEC §12: secrets with recognisable random values go through everything —
// a pipeline step that echoes them (also split across writes, base64 wrapped by coreutils, hex), an
// app that prints them in plain, base64 and JSON-escaped forms and multi-line, percent-encoded
// (lower case, every byte, keeping `/`), as PHP's JSON (`\/`), as HTML entities, hex, UTF-16LE
// base64 and inside a MIME body wrapped at 76 columns, a config change whose deployment fails with
// one in its error — and then no file under .slipway/, no log, no --json output and no artifact
// holds any of them in any of those forms. The app and the step prove they received the real values.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TempRepo, type CliResult } from './harness.js';

const hex = (n: number): string => randomBytes(n).toString('hex');
const APP_TOKEN = `apptok-${hex(12)}`;
const APP_MULTI = `multi-first-${hex(6)}\nmulti-second-${hex(6)}`;
const CI_TOKEN = `citok-${hex(12)}`;
// Characters every encoder treats differently: reserved URL characters, a space, HTML specials.
const APP_PASS = `p/ss w:rd&<"'>?=${hex(8)}`;
/** The prefix of the MIME body the app writes (the pass follows it) and the one the step base64s. */
const MIME_HEAD = `From: app\r\n\r\n${'x'.repeat(50)}`;
const STEP_HEAD = 'z'.repeat(45);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

const pct = (bytes: Buffer): string => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const lowerPct = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
const htmlNamed = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * The pieces, each line's part of at least 8 characters, of the base64 characters that encode
 * `value` alone when `head + value + tail` is base64-encoded and wrapped at 76 columns: what a
 * leak of the wrapped value would leave in a log line or row.
 */
const wrappedPieces = (head: string, value: string, tail: string): string[] => {
  const from = Buffer.byteLength(head);
  const to = from + Buffer.byteLength(value);
  const b64 = Buffer.from(head + value + tail).toString('base64');
  const [a, b] = [Math.ceil((8 * from) / 6) + 1, Math.floor((8 * to) / 6) - 1];
  const out: string[] = [];
  for (let line = 0; line * 76 < b64.length; line++) {
    const piece = b64.slice(Math.max(a, line * 76), Math.min(b, line * 76 + 76));
    if (piece.length >= 8) out.push(piece);
  }
  return out;
};

/** Every form a value must never take outside the encrypted records. */
const formsOf = (value: string): string[] => {
  const bases = [value, ...value.split('\n').filter((l) => l.length >= 8)];
  const out = new Set<string>();
  for (const v of bases) {
    const b64 = Buffer.from(v).toString('base64');
    out.add(v);
    out.add(JSON.stringify(v).slice(1, -1));
    out.add(b64);
    out.add(b64.replace(/=+$/, ''));
    out.add(Buffer.from(v).toString('base64url'));
    // base64 of the value behind one or two other bytes: the characters that depend on it alone
    for (const [offset, first] of [[1, 2], [2, 3]] as const) {
      const enc = Buffer.concat([Buffer.alloc(offset, 0x78), Buffer.from(v)]).toString('base64');
      out.add(enc.slice(first, Math.floor((8 * (offset + Buffer.byteLength(v))) / 6)));
    }
    // The encodings apps use besides (issue 9.5).
    const bytes = Buffer.from(v);
    for (const f of [lowerPct(encodeURIComponent(v)), pct(bytes), pct(bytes).toUpperCase(), encodeURI(v), JSON.stringify(v).slice(1, -1).replace(/\//g, '\\/'), htmlNamed(v)]) out.add(f);
    out.add([...v].map((c) => `&#${c.codePointAt(0)};`).join(''));
    out.add([...v].map((c) => `&#x${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()};`).join(''));
    out.add(bytes.toString('hex'));
    out.add(bytes.toString('hex').toUpperCase());
    out.add(Buffer.from(v, 'utf16le').toString('base64'));
  }
  if (value === APP_PASS) for (const f of wrappedPieces(MIME_HEAD, APP_PASS, '\r\nbye')) out.add(f);
  if (value === CI_TOKEN) for (const f of wrappedPieces(STEP_HEAD, CI_TOKEN, '')) out.add(f);
  return [...out];
};
const FORMS = [APP_TOKEN, APP_MULTI, APP_PASS, CI_TOKEN].flatMap((v) => formsOf(v).map((f) => ({ value: v.slice(0, 10), form: f })));

const findLeaks = (where: string, text: string | Buffer): string[] => {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  return FORMS.filter(({ form }) => s.includes(form)).map(({ value, form }) => `${where}: ${value}… as ${JSON.stringify(form.slice(0, 24))}`);
};

const readIfThere = (f: string): Buffer | undefined => {
  try {
    return statSync(f).size < 64 * 1024 * 1024 ? readFileSync(f) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
  });

const APP = `const http = require('node:http');
const crypto = require('node:crypto');
const token = process.env.APP_TOKEN || '';
const multi = process.env.APP_MULTI || '';
const pass = process.env.APP_PASS || '';
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
if (process.env.CRASH_AT_START) {
  console.error('fatal: cannot reach the database with password ' + token);
  process.exit(1);
}
console.log('plain ' + token);
console.log('base64 ' + Buffer.from(token).toString('base64'));
console.log('shifted ' + Buffer.from('x' + token).toString('base64'));
console.log('json ' + JSON.stringify({ token, multi }));
console.log(multi);
console.log('url-lower ' + encodeURIComponent(pass).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
console.log('url-every-byte ' + [...Buffer.from(pass)].map((b) => '%' + b.toString(16).padStart(2, '0')).join(''));
console.log('uri ' + encodeURI(pass));
console.log('php-json ' + JSON.stringify({ pass }).replace(/\\//g, '\\\\/'));
console.log('html <input value="' + pass.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]) + '">');
console.log('html-dec ' + [...pass].map((c) => '&#' + c.codePointAt(0) + ';').join(''));
console.log('html-hex ' + [...pass].map((c) => '&#x' + c.codePointAt(0).toString(16).toUpperCase() + ';').join(''));
console.log('hex ' + Buffer.from(pass).toString('hex') + ' ' + Buffer.from(token).toString('hex').toUpperCase());
console.log('utf16 ' + Buffer.from(token, 'utf16le').toString('base64'));
console.log('mime:\\n' + Buffer.from(${JSON.stringify(MIME_HEAD)} + pass + '\\r\\nbye').toString('base64').replace(/.{76}(?=.)/g, '$&\\r\\n'));
process.stdout.write('split ' + token.slice(0, 9));
setTimeout(() => process.stdout.write(token.slice(9) + ' done\\n'), 150);
http.createServer((req, res) => {
  if (req.url === '/hashes') return res.end(JSON.stringify({ token: sha(token), multi: sha(multi), pass: sha(pass), greeting: process.env.GREETING || null }));
  res.end('ok\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const YAML = (extraGate = ''): string => `app: leaky
build:
  artifact: [server.js]
gates:
  echo:
    run: 'echo "ci=$CI_TOKEN"; echo "$CI_TOKEN" | base64; printf "%s" "$CI_TOKEN" | head -c 8; sleep 0.2; printf "%s\\n" "\${CI_TOKEN#????????}"; printf "hash=%s\\n" "$(printf %s "$CI_TOKEN" | sha256sum | cut -c1-64)"; printf "%s%s" "${STEP_HEAD}" "$CI_TOKEN" | base64; printf %s "$CI_TOKEN" | od -An -tx1 | tr -d " \\n"; echo'
    secrets: [CI_TOKEN]
${extraGate}run:
  command: node server.js
  health: { path: /healthz, start_timeout: 5s }
  stop_grace: 1s
environments:
  staging:
    verify: { window: 1s }
    env: { GREETING: from-yaml }
`;

describe('secrets never leak', () => {
  let repo: TempRepo;
  let keys: string;
  const outputs: Array<{ what: string; r: CliResult }> = [];
  const cli = async (args: string[], input?: string): Promise<CliResult> => {
    const r = await repo.cli(args, { env: { XDG_CONFIG_HOME: keys }, input });
    outputs.push({ what: `slipway ${args.join(' ')}`, r });
    return r;
  };
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  before(() => {
    keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    delete process.env.SLIPWAY_MASTER_KEY;
    repo = new TempRepo();
    repo.write({ 'server.js': APP, 'slipway.yaml': YAML() }).commit('leaky app');
  });
  after(async () => {
    await repo.dispose();
    rmSync(keys, { recursive: true, force: true });
  });

  test('given secrets, a step and an app that print them, when everything runs, then no value leaks anywhere', { timeout: 120_000 }, async () => {
    // Given: the secrets, from stdin.
    for (const [env, name, value] of [['ci', 'CI_TOKEN', CI_TOKEN], ['staging', 'APP_TOKEN', APP_TOKEN], ['staging', 'APP_MULTI', APP_MULTI], ['staging', 'APP_PASS', APP_PASS]] as const) {
      const r = await cli(['secrets', 'set', env, name, '--exact'], value);
      assert.equal(r.code, 0, r.stderr);
    }
    const keyFiles = walk(keys);
    assert.equal(keyFiles.length, 1, 'the first `secrets set` created one key file, outside the repository');

    // When: the pipeline runs (its step echoes the CI secret), and staging is deployed.
    const run = await cli(['run']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const deploy = await cli(['deploy', 'staging']);
    assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
    const status = await json<{ environments: Array<{ env: string; url: string }> }>(['status']);
    const url = status.environments.find((e) => e.env === 'staging')?.url ?? '';

    // Then: the step and the app received the real values.
    const runId = (await json<Array<{ id: string }>>(['runs']))[0]?.id ?? 'r1';
    const logs = await cli(['logs', runId, '--json']);
    assert.ok(logs.stdout.includes(`hash=${sha(CI_TOKEN)}`), 'the step saw the CI secret');
    assert.ok(logs.stdout.includes('ci=****'), 'the step output is masked');
    const hashes = (await (await fetch(`${url}hashes`)).json()) as { token: string; multi: string; pass: string; greeting: string };
    assert.deepEqual(hashes, { token: sha(APP_TOKEN), multi: sha(APP_MULTI), pass: sha(APP_PASS), greeting: 'from-yaml' });

    // And: a config change whose release fails at start, with a secret in the app's error.
    const bad = await cli(['config', 'set', 'staging', 'CRASH_AT_START=yes']);
    assert.equal(bad.code, 1, 'the deployment of the change failed');
    assert.match(bad.stderr + bad.stdout, /fatal: cannot reach the database with password \*\*\*\*/);
    assert.deepEqual((await (await fetch(`${url}hashes`)).json()), hashes, 'the previous release kept serving');
    const fixed = await cli(['config', 'unset', 'staging', 'CRASH_AT_START']);
    assert.equal(fixed.code, 0, 'the digest of a failed config release is not marked bad');

    // And: a pipeline step that fails quoting the secret.
    repo.write({ 'slipway.yaml': YAML(`  fails:\n    run: 'echo "cannot log in with $CI_TOKEN" >&2; exit 3'\n    secrets: [CI_TOKEN]\n`) }).commit('a failing step');
    const failing = await cli(['run']);
    assert.equal(failing.code, 1);
    assert.match(failing.stdout + failing.stderr, /cannot log in with \*\*\*\*/);

    // Collect every --json output a script could read.
    const history = await json<Array<{ id: string }>>(['history', 'staging']);
    for (const h of history) await json(['logs', h.id]);
    for (const r of await json<Array<{ id: string }>>(['runs'])) await json(['logs', r.id]);
    await json(['events', '-n', '1000']);
    await json(['config', 'list', 'staging']);
    await json(['secrets', 'list', 'staging']);
    await json(['secrets', 'list', 'ci']);
    await json(['env', 'show', 'staging']);
    await json(['artifacts', 'ls']);
    await cli(['down']);
    await cli(['server', 'stop']);

    // Then: nothing anywhere holds a value, in any form.
    const leaks: string[] = [];
    const home = join(repo.dir, '.slipway');
    const files = walk(home);
    assert.ok(files.some((f) => f.includes('artifacts')) && files.some((f) => f.endsWith('.log')), 'artifacts and logs are among the files searched');
    for (const f of [...files, ...keyFiles]) {
      // SQLite's -shm/-wal files may vanish while the last connection lets go: nothing to search then.
      const text = readIfThere(f);
      if (text) leaks.push(...findLeaks(f, text));
    }
    for (const { what, r } of outputs) leaks.push(...findLeaks(`${what} (stdout)`, r.stdout), ...findLeaks(`${what} (stderr)`, r.stderr));
    assert.deepEqual(leaks, []);

    // And: the secret table holds ciphertext only, one row per version.
    const db = new Database(join(home, 'slipway.db'), { readonly: true });
    const rows = db.prepare('SELECT env, name, version, kind, ciphertext FROM secret_records ORDER BY env, name').all() as Array<{ env: string; name: string; version: number; kind: string; ciphertext: string }>;
    db.close();
    assert.deepEqual(rows.map((r) => [r.env, r.name, r.version, r.kind]), [['ci', 'CI_TOKEN', 1, 'value'], ['staging', 'APP_MULTI', 1, 'value'], ['staging', 'APP_PASS', 1, 'value'], ['staging', 'APP_TOKEN', 1, 'value']]);
    const values: Record<string, string> = { CI_TOKEN, APP_TOKEN, APP_MULTI, APP_PASS };
    for (const r of rows) assert.notEqual(Buffer.from(r.ciphertext, 'base64').toString('utf8'), values[r.name]);
  });
});
