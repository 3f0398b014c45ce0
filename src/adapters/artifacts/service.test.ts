import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { diffManifests } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import { Ed25519Signer } from '../signing/ed25519.js';
import { createArtifactService, type StoreBuildInput } from './index.js';

const statementInput: StoreBuildInput['statementInput'] = {
  name: 'shop.tar',
  commit: '0123456789abcdef0123456789abcdef01234567',
  repo: 'file:///srv/shop',
  pipelineFileDigest: `sha256:${'b'.repeat(64)}`,
  builderId: 'https://slipway.dev/builder/local',
  invocationId: 'run-1',
  startedOn: '2024-05-01T10:00:00Z',
  finishedOn: '2024-05-01T10:00:05Z',
  inputs: [],
  externalParameters: { command: 'npm run build', artifact: ['dist', 'package.json'] },
};

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    await fn(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** A build output: dist/ with two files and a package.json. */
function makeWorkdir(home: string, name: string, touched = new Date()): string {
  const w = join(home, name);
  mkdirSync(join(w, 'dist'), { recursive: true });
  writeFileSync(join(w, 'dist/server.js'), 'require("http").createServer().listen(3000)\n');
  writeFileSync(join(w, 'dist/util.js'), 'module.exports = 1\n');
  writeFileSync(join(w, 'package.json'), '{"name":"shop"}\n');
  writeFileSync(join(w, 'README.md'), 'not in the artifact\n');
  for (const f of ['dist/server.js', 'dist/util.js', 'package.json', 'dist']) utimesSync(join(w, f), touched, touched);
  return w;
}

void describe('artifact service', () => {
  void test('storeBuild packs, stores and signs; verifyArtifact and inspect agree', () =>
    withHome(async (home) => {
      const svc = await createArtifactService({ home });
      const workdir = makeWorkdir(home, 'w1');
      const r = await svc.storeBuild({ workdir, paths: ['dist', 'package.json'], statementInput });
      assert.equal(r.existed, false);
      assert.equal(r.provenanceWritten, true);
      assert.equal(r.manifest.digest, r.digest);
      assert.deepEqual(r.manifest.entries.map((e) => e.path), ['dist', 'dist/server.js', 'dist/util.js', 'package.json']);
      assert.deepEqual(await svc.verifyArtifact(r.digest.slice(7, 19)), { ok: true, digest: r.digest, keyid: svc.keyid });

      const info = await svc.inspect(r.digest);
      assert.equal(info.files, 3);
      assert.equal(info.entryCount, 4);
      assert.equal(info.provenance?.valid, true);
      assert.deepEqual(info.provenance?.keyids, [svc.keyid]);
      const st = info.provenance?.statement;
      assert.deepEqual(st?.subject, [{ name: 'shop.tar', digest: { sha256: r.digest.slice(7) } }]);
      assert.equal(st?.predicate.buildDefinition.externalParameters.command, 'npm run build');
      assert.deepEqual(st?.predicate.buildDefinition.internalParameters.archive, { format: 'tar', mtime: 0 });
      assert.equal(st?.predicate.runDetails.byproducts[0]?.name, 'manifest.json');
    }));

  void test('the same tree built again (other dir, other mtimes) gives the same digest; the first provenance is kept', () =>
    withHome(async (home) => {
      const svc = await createArtifactService({ home });
      const first = await svc.storeBuild({ workdir: makeWorkdir(home, 'a'), paths: ['dist', 'package.json'], statementInput });
      const again = await svc.storeBuild({
        workdir: makeWorkdir(home, 'b', new Date('2001-01-01')),
        paths: ['package.json', 'dist'],
        statementInput: { ...statementInput, invocationId: 'run-2', startedOn: '2024-06-01T00:00:00Z', finishedOn: '2024-06-01T00:00:09Z' },
      });
      assert.equal(again.digest, first.digest);
      assert.equal(again.existed, true);
      assert.equal(again.provenanceWritten, false);
      assert.notEqual(again.envelope.payload, first.envelope.payload, 'timings differ in the new statement');
      assert.deepEqual(diffManifests(first.manifest, again.manifest).same, true);
      const stored = JSON.parse(readFileSync(join(home, 'artifacts/sha256', `${first.digest.slice(7)}.provenance.json`), 'utf8')) as { payload: string };
      assert.equal(stored.payload, first.envelope.payload);
    }));

  void test('a changed file gives another digest, and the diff names it', () =>
    withHome(async (home) => {
      const svc = await createArtifactService({ home });
      const a = await svc.storeBuild({ workdir: makeWorkdir(home, 'a'), paths: ['dist'], statementInput });
      const wb = makeWorkdir(home, 'b');
      writeFileSync(join(wb, 'dist/util.js'), 'module.exports = 2\n');
      writeFileSync(join(wb, 'dist/new.js'), '\n');
      const b = await svc.storeBuild({ workdir: wb, paths: ['dist'], statementInput });
      assert.notEqual(a.digest, b.digest);
      assert.deepEqual(diffManifests(a.manifest, b.manifest), {
        same: false,
        added: ['dist/new.js'],
        removed: [],
        changed: [{ path: 'dist/util.js', kinds: ['content'] }],
      });
    }));

  void test('a tampered artifact fails verification and is refused by unpack; a good one unpacks', () =>
    withHome(async (home) => {
      const svc = await createArtifactService({ home });
      const r = await svc.storeBuild({ workdir: makeWorkdir(home, 'w'), paths: ['dist'], statementInput });
      const dest = join(home, 'release-1');
      const out = await svc.unpack(r.digest, dest, { readOnly: true });
      assert.equal(out.digest, r.digest);
      assert.equal(readFileSync(join(dest, 'dist/util.js'), 'utf8'), 'module.exports = 1\n');

      const blob = await svc.store.path(r.digest);
      const bytes = readFileSync(blob);
      bytes[bytes.length - 1030] = (bytes[bytes.length - 1030] ?? 0) ^ 0xff;
      chmodSync(blob, 0o644);
      writeFileSync(blob, bytes);
      const v = await svc.verifyArtifact(r.digest);
      assert.equal(!v.ok && v.reason, 'corrupt');
      await assert.rejects(svc.unpack(r.digest, join(home, 'release-2')), (e: unknown) => e instanceof SlipwayError && e.code === 'corrupt');
      await assert.rejects(svc.unpack('f'.repeat(64), join(home, 'release-3')), (e: unknown) => e instanceof SlipwayError && e.code === 'not_found');
    }));

  void test('provenance signed by an untrusted key, or for another artifact, is bad-signature', () =>
    withHome(async (home) => {
      const svc = await createArtifactService({ home });
      const stranger = new Ed25519Signer(generateKeyPairSync('ed25519').privateKey);
      const other = await createArtifactService({ home, signer: stranger });
      const workdir = makeWorkdir(home, 'w');
      const mine = await svc.storeBuild({ workdir, paths: ['dist'], statementInput });
      // The stranger rebuilds the same tree: my valid provenance is not theirs to trust, so they replace it.
      const theirs = await other.storeBuild({ workdir, paths: ['dist'], statementInput });
      assert.equal(theirs.provenanceWritten, true);
      const v = await svc.verifyArtifact(mine.digest);
      assert.equal(!v.ok && v.reason, 'bad-signature');
      // Trusting the stranger's key makes it verify.
      const trusting = await createArtifactService({ home, trustedKeys: [stranger.publicKeyPem] });
      assert.deepEqual(await trusting.verifyArtifact(mine.digest), { ok: true, digest: mine.digest, keyid: stranger.keyid });

      // A valid envelope moved onto another artifact names the wrong subject.
      const second = await svc.storeBuild({ workdir, paths: ['package.json'], statementInput });
      const dir = join(home, 'artifacts/sha256');
      cpSync(join(dir, `${second.digest.slice(7)}.provenance.json`), join(dir, `${mine.digest.slice(7)}.provenance.json`), { force: true });
      const moved = await svc.verifyArtifact(mine.digest);
      assert.equal(!moved.ok && moved.reason, 'bad-signature');
      assert.match(!moved.ok ? moved.message : '', /signed for another artifact/);
      const info = await svc.inspect(mine.digest);
      assert.equal(info.provenance?.valid, false);
      await assert.rejects(svc.unpack(mine.digest, join(home, 'r')), (e: unknown) => e instanceof SlipwayError && e.code === 'refused');
    }));

  void test('bad build paths are config errors naming the path, and leave no temp file', () =>
    withHome(async (home) => {
      const svc = await createArtifactService({ home });
      const workdir = makeWorkdir(home, 'w');
      await assert.rejects(svc.storeBuild({ workdir, paths: ['build'], statementInput }), (e: unknown) => e instanceof SlipwayError && e.code === 'config' && /"build" does not exist/.test(e.message));
      assert.deepEqual(await svc.store.list(), []);
      assert.equal(await svc.store.sweepTemp(0), 0);
    }));
});
