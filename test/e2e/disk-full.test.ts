// Given an environment serving v1 and a green build of v2, with the home and the sandbox area (or
// the sandbox area alone: the store can write, the release cannot be unpacked) on a small tmpfs,
// when the disk is filled up and v2 is deployed under load, then the deployment fails with an
// error that names ENOSPC, not one request fails, v1 stays current and serving, and nothing
// half-written is left as v2's release directory; when space is freed, the same deployment succeeds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLeftovers, TempRepo } from './harness.js';
import { get, type EnvStatus, type HistoryEntry } from './deploy-harness.js';
import { load } from './proxy-helpers.js';

const SERVER_JS = (n: number) => `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('build ${n}'));
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;
const YAML = ['app: full', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', 'run:', '  command: node dist/server.cjs', 'environments:', '  staging:', '    verify: { window: 300ms, interval: 100ms }', 'retention:', '  gc_every: 0', ''].join('\n');

/** Mounts a tmpfs of `size` at a new directory, or says why it cannot. */
function mountTmpfs(size: string): { dir: string } | { why: string } {
  if (process.getuid?.() !== 0) return { why: 'not root: mounting a tmpfs needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'slipway-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { why: `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  return { dir };
}

/** Writes `file` until the file system refuses with ENOSPC. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  try {
    for (let b = chunk; ; ) {
      try {
        writeSync(fd, b);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        if (b.length <= 4096) return;
        b = b.subarray(0, b.length / 4);
      }
    }
  } finally {
    closeSync(fd);
  }
}

const scenario = (name: string, homeOnDisk: boolean): void => {
  const mounted = mountTmpfs('64m');
  const why = 'why' in mounted ? mounted.why : undefined;

  describe(name, { skip: why ?? false }, () => {
    const disk = 'dir' in mounted ? mounted.dir : '';
    const elsewhere = homeOnDisk ? '' : mkdtempSync(join(tmpdir(), 'slipway-home-'));
    const env = { SLIPWAY_HOME: join(homeOnDisk ? disk : elsewhere, 'home'), SLIPWAY_SANDBOX_DIR: join(disk, 'sandbox') };
    let repo: TempRepo;
    const cli = (args: string[]) => repo.cli(args, { env });
    const status = async (): Promise<EnvStatus> => {
      const s = JSON.parse((await cli(['status', '--json'])).stdout) as { environments: EnvStatus[] };
      const e = s.environments.find((x) => x.env === 'staging');
      assert.ok(e);
      return e;
    };

    before(async () => {
      repo = new TempRepo();
      for (const n of [1, 2]) {
        repo.write({ 'server.cjs': SERVER_JS(n), 'slipway.yaml': YAML });
        repo.commit(`build ${n}`);
        const r = await cli(['run']);
        assert.equal(r.code, 0, r.stderr);
        if (n === 1) {
          const d = await cli(['deploy', 'staging']);
          assert.equal(d.code, 0, d.stderr);
        }
      }
    });
    after(async () => {
      if (repo === undefined) return;
      await cli(['down']);
      await cli(['server', 'stop']);
      killLeftovers(env.SLIPWAY_HOME);
      spawnSync('umount', ['-l', disk]);
      rmSync(disk, { recursive: true, force: true });
      if (elsewhere !== '') rmSync(elsewhere, { recursive: true, force: true });
      rmSync(repo.dir, { recursive: true, force: true });
    });

    test('fails naming ENOSPC, keeps serving the current release, and succeeds once space is freed', async () => {
      const url = (await status()).url ?? '';
      assert.equal((await get(url)).body, 'build 1');
      const filler = join(disk, 'filler');
      fillUp(filler);
      try {
        let done!: () => void;
        const until = new Promise<void>((r) => (done = r));
        const traffic = load({ url, until, keepAlive: true, concurrency: 4 });
        const d = await cli(['deploy', 'staging']);
        done();
        const l = await traffic;
        assert.notEqual(d.code, 0, `the deployment must fail on a full disk: ${d.stdout}`);
        assert.match(d.stderr + d.stdout, /ENOSPC|no space left/i);
        console.log(`deploy on a full disk: exit ${d.code}: ${(d.stderr || d.stdout).trim().split('\n').slice(0, 3).join(' | ')}`);
        assert.ok(l.total > 0);
        assert.equal(l.errors + l.non2xx, 0, `${l.errors + l.non2xx} of ${l.total} requests failed: ${l.firstError ?? ''}`);
        const s = await status();
        assert.equal(s.current?.release, 'v1', 'v1 stays current');
        assert.deepEqual(s.routes.map((r) => r.release), ['v1']);
        assert.equal((await get(url)).body, 'build 1');
        const dirs = readdirSync(join(env.SLIPWAY_SANDBOX_DIR, 'releases', 'staging'));
        assert.ok(!dirs.some((n) => n.startsWith('v2')), `no release directory of v2 is left: ${dirs.join(', ')}`);
        if (!homeOnDisk) {
          const failed = (JSON.parse((await cli(['history', 'staging', '--json'])).stdout) as HistoryEntry[]).find((x) => x.release === 2);
          assert.equal(failed?.status, 'failed', 'the store could write: the deployment is recorded as failed');
          assert.match(failed?.reason ?? '', /ENOSPC/);
        }
      } finally {
        unlinkSync(filler);
      }
      const again = await cli(['deploy', 'staging']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((await get(url)).body, 'build 2');
    });
  });
};

scenario('a full disk during a deployment', true);
scenario('a full sandbox area during a deployment (the store can write)', false);
