// Given an app whose instances write a lot and `retention: { log_max_bytes: 4KiB, logs_days: 1 }`,
// when it serves requests, then its shim rotates its log at the size and `slipway logs ENV` still
// reads every line across the rotated files; when the files are two days old and gc runs, then
// the rotated files and the log of an instance that stopped go, the files of running instances
// stay, the control plane's oversized log is rotated, and the app serves throughout. And gc run
// while a deployment of the environment is in flight does not wait for it and keeps its logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { TempRepo } from './harness.js';
import { envStatus, get, history } from './deploy-harness.js';
import { waitFor } from '../../src/test-support/wait.js';

const SERVER_JS = (n: number) => `
const http = require('node:http');
let i = 0;
const s = http.createServer((req, res) => { console.log('build ${n} req ' + (i++) + ' ' + 'x'.repeat(100)); res.end('build ${n}'); });
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

interface Gc { removed: { kind: string; what: string }[]; rotated: { what: string }[]; kept: { kind: string; what: string; why: string }[] }
interface Logs { instances: { id: string; release: number; lines: string[] }[] }

const TWO_DAYS_AGO = new Date(Date.now() - 2 * 86_400_000);

describe('log rotation and expiry', () => {
  let repo: TempRepo;
  let home: string;
  const yamlOf = (window: string): string => ['app: logs', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', 'run:', '  command: node dist/server.cjs', 'environments:', '  staging:', `    verify: { window: ${window}, interval: 100ms }`, 'retention:', '  log_max_bytes: 4KiB', '  logs_days: 1', '  gc_every: 0', ''].join('\n');
  before(async () => {
    repo = new TempRepo();
    home = join(repo.dir, '.slipway');
    for (const n of [1, 2, 3]) {
      repo.write({
        'server.cjs': SERVER_JS(n),
        'slipway.yaml': yamlOf('200ms'),
      });
      repo.commit(`build ${n}`);
      assert.equal((await repo.cli(['run'])).code, 0);
      const d = await repo.cli(['deploy', 'staging']);
      assert.equal(d.code, 0, d.stderr);
    }
  });
  after(() => repo.dispose());

  test('instance logs rotate at the size and are read back whole; gc expires what nothing writes', async () => {
    const status = await envStatus(repo, 'staging');
    const url = status.url ?? '';
    for (let i = 0; i < 100; i++) assert.equal((await get(url)).body, 'build 3');
    const current = status.instances.find((i) => i.release === 'v3')?.id ?? '';
    assert.ok(current !== '', JSON.stringify(status.instances));
    const dir = join(home, 'logs', 'staging');
    const parts = readdirSync(dir).filter((n) => n.startsWith(`${current}.log.`));
    assert.ok(parts.length >= 3, `the shim rotated at 4KiB: ${readdirSync(dir).join(', ')}`);
    for (const p of parts) assert.ok(statSync(join(dir, p)).size < 4096 + 200, `${p} is about the size`);

    const logs = JSON.parse((await repo.cli(['logs', 'staging', '-n', '100000', '--json'])).stdout) as Logs;
    const lines = logs.instances.find((i) => i.id === current)?.lines ?? [];
    const reqs = lines.filter((l) => / out build 3 req \d+ /.test(l)).map((l) => Number(/req (\d+)/.exec(l)?.[1]));
    // Health probes are requests too: at least the 100, every one of them, in order.
    assert.ok(reqs.length >= 100, `${reqs.length} lines`);
    assert.deepEqual(reqs, Array.from({ length: reqs.length }, (_, i) => i), 'every line, in order, across the rotated files');
    const text = await repo.cli(['logs', 'staging', '-n', '3']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`build 3 req ${reqs.length - 1} `));
    const bad = await repo.cli(['logs', 'staging', '-n', 'lots']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /lines must be a whole number from 1 to 100000/);

    // The control plane's own log, grown past the size (its stdout writes here), and everything two days old.
    appendFileSync(join(home, 'server.log'), `${'server line\n'.repeat(500)}`);
    const stopped = readdirSync(dir).filter((n) => n.endsWith('.log') && !status.instances.some((i) => n === `${i.id}.log`));
    assert.ok(stopped.length > 0, 'v1 instance stopped, its log stays until it expires');
    for (const n of readdirSync(dir)) utimesSync(join(dir, n), TWO_DAYS_AGO, TWO_DAYS_AGO);

    const dry = JSON.parse((await repo.cli(['gc', '--dry-run', '--json'])).stdout) as Gc;
    assert.ok(dry.removed.some((e) => e.kind === 'log'), 'a dry run lists logs');
    assert.ok(existsSync(join(dir, `${current}.log.1`)), 'a dry run removes nothing');

    const gc = JSON.parse((await repo.cli(['gc', '--json'])).stdout) as Gc;
    const removed = gc.removed.filter((e) => e.kind === 'log').map((e) => e.what);
    for (const n of stopped) assert.ok(removed.includes(join(dir, n)), `the stopped instance's log ${n} expired`);
    for (const p of parts) assert.ok(removed.includes(join(dir, p)), `the rotated ${p} expired`);
    for (const i of status.instances) {
      assert.ok(existsSync(join(dir, `${i.id}.log`)), `the running instance ${i.id} keeps its log`);
      assert.match(gc.kept.find((e) => e.what === join(dir, `${i.id}.log`))?.why ?? '', /writes it/);
    }
    assert.deepEqual(gc.rotated.map((e) => e.what), [join(home, 'server.log')]);
    assert.ok(existsSync(join(home, 'server.log.1')) && statSync(join(home, 'server.log')).size < 4096, 'server.log rotated by gc');

    assert.equal((await get(url)).body, 'build 3');
    const again = JSON.parse((await repo.cli(['logs', 'staging', '--json'])).stdout) as Logs;
    const last = Number(/req (\d+)/.exec((again.instances.find((i) => i.id === current)?.lines ?? []).at(-1) ?? '')?.[1]);
    assert.ok(last >= reqs.length, 'the instance writes on after gc');
    const events = JSON.parse((await repo.cli(['events', '--json'])).stdout) as { kind: string; data: { logs?: number; logsRotated?: number } }[];
    const ev = events.filter((e) => e.kind === 'gc').at(-1);
    assert.ok((ev?.data.logs ?? 0) >= parts.length + stopped.length && ev?.data.logsRotated === 1, JSON.stringify(ev));
  });

  test('gc while a deployment is in flight answers at once and keeps every log of that environment', async () => {
    const status = await envStatus(repo, 'staging');
    const current = status.instances.find((i) => i.release === 'v3')?.id ?? '';
    for (let i = 0; i < 60; i++) await get(status.url ?? '');
    const dir = join(home, 'logs', 'staging');
    const rotated = (): string[] => readdirSync(dir).filter((n) => n.startsWith(`${current}.log.`));
    assert.ok(rotated().length > 0, 'new rotations since the last gc');
    for (const n of readdirSync(dir)) utimesSync(join(dir, n), TWO_DAYS_AGO, TWO_DAYS_AGO);
    const aged = rotated();

    repo.write({ 'server.cjs': SERVER_JS(4), 'slipway.yaml': yamlOf('5s') });
    repo.commit('build 4');
    assert.equal((await repo.cli(['run'])).code, 0);
    const deploying = repo.cli(['deploy', 'staging']);
    await waitFor(async () => (await history(repo, 'staging'))[0]?.status === 'verifying', { what: 'v4 to be verifying', interval: 200 });
    const during = JSON.parse((await repo.cli(['gc', '--json'])).stdout) as Gc;
    assert.equal((await history(repo, 'staging'))[0]?.status, 'verifying', 'gc answered while the deployment was still in flight');
    assert.deepEqual(during.removed.filter((e) => e.kind === 'log'), [], 'no log of an environment with a deployment in flight goes');
    for (const n of aged) assert.match(during.kept.find((e) => e.what === join(dir, n))?.why ?? '', /deployment of staging is in flight/);
    const d = await deploying;
    assert.equal(d.code, 0, d.stderr);

    const afterwards = JSON.parse((await repo.cli(['gc', '--json'])).stdout) as Gc;
    const removed = afterwards.removed.map((e) => e.what);
    for (const n of aged) assert.ok(!existsSync(join(dir, n)), `${n} expired once the deployment finished: ${removed.join(', ')}`);
  });
});
