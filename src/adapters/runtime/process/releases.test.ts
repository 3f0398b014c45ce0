import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { SlipwayError } from '../../../core/errors.js';
import { createArtifactService, type ArtifactService } from '../../artifacts/index.js';
import { expectEnvName, isInstanceId, newInstanceId, runtimePaths } from './paths.js';
import { RELEASE_MARKER, prepareRelease } from './releases.js';

const statementInput = {
  name: 'app.tar', commit: '0123456789abcdef0123456789abcdef01234567', repo: 'file:///srv/app',
  pipelineFileDigest: `sha256:${'b'.repeat(64)}`, builderId: 'https://slipway.dev/builder/test', invocationId: 'run-1',
  startedOn: '2024-05-01T10:00:00Z', finishedOn: '2024-05-01T10:00:05Z', inputs: [], externalParameters: {},
};

async function withArtifact(fn: (home: string, artifacts: ArtifactService, digest: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const work = join(home, 'work');
    mkdirSync(join(work, 'app/lib'), { recursive: true });
    writeFileSync(join(work, 'app/server.js'), 'console.log(1)\n');
    writeFileSync(join(work, 'app/lib/run.sh'), '#!/bin/sh\n');
    chmodSync(join(work, 'app/lib/run.sh'), 0o755);
    const artifacts = await createArtifactService({ home });
    const { digest } = await artifacts.storeBuild({ workdir: work, paths: ['app'], statementInput });
    await fn(home, artifacts, digest);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const mode = (p: string): number => statSync(p).mode & 0o777;

void describe('release directories', () => {
  void test('prepare unpacks read-only under releases/<env>/v<n>-<hex12> with a marker, and reuses it', () =>
    withArtifact(async (home, artifacts, digest) => {
      const paths = runtimePaths(home, home);
      const ref = { env: 'staging', release: 3, digest };
      const { dir } = await prepareRelease(paths, artifacts, ref);
      assert.equal(dir, join(home, 'releases', 'staging', `v3-${digest.slice(7, 19)}`));
      assert.equal(readFileSync(join(dir, 'app/server.js'), 'utf8'), 'console.log(1)\n');
      assert.equal(mode(join(dir, 'app/server.js')), 0o444);
      assert.equal(mode(join(dir, 'app/lib/run.sh')), 0o555);
      for (const d of [dir, join(dir, 'app'), join(dir, 'app/lib')]) assert.equal(mode(d), 0o555, d);
      assert.equal((JSON.parse(readFileSync(join(dir, RELEASE_MARKER), 'utf8')) as { digest: string }).digest, digest);
      // Prepared again: the same directory, untouched (the marker's time is unchanged).
      const marker = readFileSync(join(dir, RELEASE_MARKER), 'utf8');
      assert.deepEqual(await Promise.all([prepareRelease(paths, artifacts, ref), prepareRelease(paths, artifacts, ref)]), [{ dir }, { dir }]);
      assert.equal(readFileSync(join(dir, RELEASE_MARKER), 'utf8'), marker);
      assert.deepEqual(readdirSync(join(home, 'releases', 'staging')), [`v3-${digest.slice(7, 19)}`]);
    }));

  void test('a reused directory is checked against the signed manifest: an edited, added, removed or re-moded file stops the start naming it', () =>
    withArtifact(async (home, artifacts, digest) => {
      const paths = runtimePaths(home, home);
      const ref = { env: 'staging', release: 2, digest };
      const { dir } = await prepareRelease(paths, artifacts, ref);
      const refused = async (pattern: RegExp): Promise<void> => {
        await assert.rejects(prepareRelease(paths, artifacts, ref), (e: unknown) => e instanceof SlipwayError && e.code === 'corrupt' && pattern.test(e.message) && (e.hint ?? '').includes('rm -rf'));
      };
      const writable = (f: string, fn: () => void): void => {
        chmodSync(dirname(f), 0o755);
        chmodSync(f, 0o644);
        fn();
      };
      // Edited in place, same size: the content hash tells.
      writable(join(dir, 'app/server.js'), () => writeFileSync(join(dir, 'app/server.js'), 'console.log(2)\n'));
      await refused(/differs from the signed manifest of sha256:[0-9a-f]{64}: app\/server\.js: content changed/);
      writeFileSync(join(dir, 'app/server.js'), 'console.log(1)\n');
      chmodSync(join(dir, 'app/server.js'), 0o444);
      assert.deepEqual(await prepareRelease(paths, artifacts, ref), { dir }, 'restored: it serves again');
      writeFileSync(join(dir, 'app/extra.js'), 'x');
      await refused(/app\/extra\.js: not in the artifact/);
      rmSync(join(dir, 'app/extra.js'));
      chmodSync(join(dir, 'app/lib'), 0o755);
      rmSync(join(dir, 'app/lib/run.sh'));
      await refused(/app\/lib\/run\.sh: missing/);
      writeFileSync(join(dir, 'app/lib/run.sh'), '#!/bin/sh\n');
      chmodSync(join(dir, 'app/lib/run.sh'), 0o444);
      await refused(/app\/lib\/run\.sh: executable bit changed/);
    }));

  void test('a half-written directory (no marker) and partial leftovers of dead processes are replaced', () =>
    withArtifact(async (home, artifacts, digest) => {
      const paths = runtimePaths(home, home);
      const ref = { env: 'staging', release: 1, digest };
      const dir = paths.releaseDir(ref);
      mkdirSync(join(dir, 'app'), { recursive: true });
      writeFileSync(join(dir, 'app/half.js'), 'x');
      chmodSync(join(dir, 'app'), 0o555);
      const dead = join(paths.releases('staging'), `.partial-v1-${digest.slice(7, 19)}-999999999-abcdef`);
      mkdirSync(dead);
      await prepareRelease(paths, artifacts, ref);
      assert.equal(existsSync(join(dir, 'app/half.js')), false);
      assert.equal(existsSync(join(dir, 'app/server.js')), true);
      assert.equal(existsSync(dead), false);
    }));

  void test('a digest that is not stored fails naming it; a tampered artifact is refused; nothing is left', () =>
    withArtifact(async (home, artifacts, digest) => {
      const paths = runtimePaths(home, home);
      const missing = `sha256:${'0'.repeat(64)}`;
      await assert.rejects(prepareRelease(paths, artifacts, { env: 'staging', release: 1, digest: missing }), (e: unknown) =>
        e instanceof SlipwayError && e.code === 'not_found' && /cannot prepare staging v1/.test(e.message) && e.message.includes('0000000'));
      const blob = join(home, 'artifacts', 'sha256', digest.slice(7));
      chmodSync(blob, 0o644);
      const bytes = readFileSync(blob);
      bytes[600] = (bytes[600] ?? 0) ^ 1;
      writeFileSync(blob, bytes);
      await assert.rejects(prepareRelease(paths, artifacts, { env: 'staging', release: 2, digest }), (e: unknown) =>
        e instanceof SlipwayError && e.code === 'corrupt' && /cannot prepare staging v2/.test(e.message));
      assert.deepEqual(readdirSync(paths.releases('staging')), []);
    }));

  void test('bad refs are usage errors', () =>
    withArtifact(async (home, artifacts, digest) => {
      const paths = runtimePaths(home, home);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ env: '../etc', release: 1, digest }, /environment name "\.\.\/etc"/],
        [{ env: 'a/b', release: 1, digest }, /environment name/],
        [{ env: '', release: 1, digest }, /environment name/],
        [{ env: 'staging', release: 0, digest }, /positive integer/],
        [{ env: 'staging', release: 1.5, digest }, /positive integer/],
        [{ env: 'staging', release: 1, digest: digest.slice(0, 19) }, /not a full artifact digest/],
      ];
      for (const [ref, message] of cases) {
        await assert.rejects(prepareRelease(paths, artifacts, ref as never), (e: unknown) => e instanceof SlipwayError && e.code === 'usage' && message.test(e.message));
      }
      assert.equal(existsSync(join(home, 'releases')), false);
    }));

  void test('instance ids', () => {
    const id = newInstanceId('staging', 12, 2);
    assert.match(id, /^staging-v12-2-[0-9a-f]{6}$/);
    assert.equal(isInstanceId(id), true);
    for (const bad of ['../x-v1-1-abcdef', 'staging-v1-1', 'staging-v1-1-ABCDEF', 'a/b-v1-1-abcdef', '']) assert.equal(isInstanceId(bad), false, bad);
    assert.throws(() => expectEnvName('..'), SlipwayError);
    assert.throws(() => expectEnvName('prod.eu-1'), SlipwayError);
    assert.doesNotThrow(() => expectEnvName('prod-eu_1'));
  });
});
