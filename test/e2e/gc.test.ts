// Given three releases of an environment and `retention.releases: 1`, when `slipway gc` runs, then
// only the oldest release's artifact and directory go (current and previous stay), a dry run
// removes nothing, the environment keeps serving, and the gc is in the audit trail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { TempRepo } from './harness.js';
import { envStatus, get, history } from './deploy-harness.js';
import { sandboxDirOf } from '../../src/home/paths.js';

const SERVER_JS = (n: number) => `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('build ${n}'));
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

interface Gc { dryRun: boolean; removed: { kind: string; what: string; bytes: number }[]; bytes: number; keptReleases: Record<string, number[]> }

/** Makes every file and directory under `dir` two hours old: gc leaves anything younger than an hour. */
const age = (dir: string): void => {
  const old = new Date(Date.now() - 2 * 3_600_000);
  const walk = (p: string): void => {
    for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) walk(join(p, e.name));
    utimesSync(p, old, old);
  };
  walk(dir);
  for (const f of readdirSync(dir, { recursive: true }) as string[]) utimesSync(join(dir, f), old, old);
};

describe('slipway gc', () => {
  let repo: TempRepo;
  before(async () => {
    repo = new TempRepo();
    for (const n of [1, 2, 3]) {
      repo.write({
        'server.cjs': SERVER_JS(n),
        'slipway.yaml': ['app: gc', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', 'run:', '  command: node dist/server.cjs', 'environments:', '  staging:', '    verify: { window: 200ms, interval: 100ms }', 'retention:', '  releases: 1', '  gc_every: 0', ''].join('\n'),
      });
      repo.commit(`build ${n}`);
      assert.equal((await repo.cli(['run'])).code, 0);
      const d = await repo.cli(['deploy', 'staging']);
      assert.equal(d.code, 0, d.stderr);
    }
  });
  after(() => repo.dispose());

  test('removes only what no kept release references; a dry run removes nothing', async () => {
    const home = join(repo.dir, '.slipway');
    const area = sandboxDirOf(home);
    const h = (await history(repo, 'staging')).filter((d) => d.status === 'succeeded');
    const digest = (n: number): string => h.find((d) => d.release === n)?.digest ?? '';
    age(join(home, 'artifacts', 'sha256'));
    age(join(area, 'releases'));

    const dry = JSON.parse((await repo.cli(['gc', '--dry-run', '--json'])).stdout) as Gc;
    assert.deepEqual(dry.keptReleases, { staging: [2, 3] });
    const whats = dry.removed.map((e) => e.what);
    assert.ok(whats.includes(digest(1)), `the oldest artifact is proposed: ${whats.join(', ')}`);
    assert.ok(whats.includes('staging v1'));
    for (const n of [2, 3]) assert.ok(!whats.includes(digest(n)) && !whats.includes(`staging v${n}`), `v${n} stays`);
    const blob = join(home, 'artifacts', 'sha256', digest(1).slice('sha256:'.length));
    assert.ok(existsSync(blob), 'a dry run removes nothing');

    const real = JSON.parse((await repo.cli(['gc', '--json'])).stdout) as Gc;
    assert.ok(real.bytes > 0, 'bytes freed are reported');
    assert.ok(!existsSync(blob), 'the oldest artifact is gone');
    for (const n of [2, 3]) assert.ok(existsSync(join(home, 'artifacts', 'sha256', digest(n).slice('sha256:'.length))), `v${n}'s artifact stays`);
    const url = (await envStatus(repo, 'staging')).url ?? '';
    assert.equal((await get(url)).body, 'build 3');
    // The previous release is still a rollback away.
    assert.equal((await repo.cli(['rollback', 'staging'])).code, 0);
    assert.equal((await get(url)).body, 'build 2');
    const events = JSON.parse((await repo.cli(['events', '--json'])).stdout) as { kind: string; data: { bytes?: number } }[];
    assert.equal(events.find((e) => e.kind === 'gc')?.data.bytes, real.bytes);
    assert.deepEqual((JSON.parse((await repo.cli(['gc', '--json'])).stdout) as Gc).removed, [], 'a second gc finds nothing more');
  });
});
