import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MANIFEST_SCHEMA } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import type { ArtifactStore } from '../../ports/artifacts.js';
import { packDeterministic } from '../archive/pack.js';
import { createFsArtifactStore } from './fs-store.js';

interface Ctx {
  home: string;
  store: ArtifactStore;
  dir: string;
  /** Packs a one-file tree with `content` into a store temp file and puts it. */
  putContent: (content: string) => Promise<{ digest: string; existed: boolean }>;
}

async function withStore(fn: (c: Ctx) => Promise<void>, check?: Parameters<typeof createFsArtifactStore>[0]['checkProvenance']): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'slipway-'));
  const store = createFsArtifactStore({ home, checkProvenance: check });
  const src = join(home, 'src');
  mkdirSync(src);
  const putContent = async (content: string): Promise<{ digest: string; existed: boolean }> => {
    writeFileSync(join(src, 'f.txt'), content);
    const temp = await store.tempPath();
    return store.put(temp, await packDeterministic(src, ['f.txt'], temp));
  };
  try {
    await fn({ home, store, dir: join(home, 'artifacts', 'sha256'), putContent });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const envelope = { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [{ keyid: 'k', sig: 'AAAA' }] };

const isError = (code: string, pattern: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof SlipwayError, String(e));
  assert.equal(e.code, code);
  assert.match(e.message, pattern);
  return true;
};

void describe('fs artifact store: put', () => {
  void test('stores the blob read-only under its digest, with the manifest beside it', () =>
    withStore(async ({ store, dir, putContent }) => {
      const { digest, existed } = await putContent('hello');
      assert.equal(existed, false);
      const hex = digest.slice(7);
      const blob = join(dir, hex);
      assert.equal(await store.path(digest), blob);
      assert.equal(createHash('sha256').update(readFileSync(blob)).digest('hex'), hex);
      assert.equal(statSync(blob).mode & 0o777, 0o444);
      const manifest = JSON.parse(readFileSync(join(dir, `${hex}.manifest.json`), 'utf8')) as Record<string, unknown>;
      assert.equal(manifest.schema, MANIFEST_SCHEMA);
      assert.equal(manifest.digest, digest);
      assert.equal(statSync(join(dir, `${hex}.manifest.json`)).mode & 0o777, 0o444);
      assert.deepEqual((await store.readManifest(digest)).entries.map((e) => e.path), ['f.txt']);
    }));

  void test('putting the same content again is a no-op that says so and removes the temp file', () =>
    withStore(async ({ store, dir, putContent }) => {
      const first = await putContent('same');
      const before = statSync(join(dir, first.digest.slice(7))).ino;
      const second = await putContent('same');
      assert.deepEqual(second, { digest: first.digest, existed: true });
      assert.equal(statSync(join(dir, first.digest.slice(7))).ino, before);
      assert.equal((await store.list()).length, 1);
      assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp-')), []);
    }));

  void test('a damaged stored copy is replaced by a good put', () =>
    withStore(async ({ store, dir, putContent }) => {
      const { digest } = await putContent('heal me');
      const blob = join(dir, digest.slice(7));
      chmodSync(blob, 0o644);
      writeFileSync(blob, 'garbage');
      assert.equal((await putContent('heal me')).existed, false);
      assert.deepEqual(await store.verify(digest), { ok: false, reason: 'no-provenance', message: `artifact ${digest} has no signed provenance`, digest });
    }));

  void test('a manifest naming another digest is refused and the temp file removed', () =>
    withStore(async ({ store, home }) => {
      const temp = await store.tempPath();
      writeFileSync(temp, 'bytes');
      await assert.rejects(store.put(temp, { digest: `sha256:${'0'.repeat(64)}`, size: 5, files: 0, entries: [] }), isError('corrupt', /hash to sha256:/));
      assert.equal(existsSync(temp), false);
      // A temp file elsewhere (another file system, perhaps) is copied in.
      const outside = join(home, 'outside.tar');
      writeFileSync(outside, 'bytes');
      const hex = createHash('sha256').update('bytes').digest('hex');
      const r = await store.put(outside, { digest: `sha256:${hex}`, size: 5, files: 0, entries: [] });
      assert.equal(r.digest, `sha256:${hex}`);
      assert.equal(existsSync(outside), false);
    }));
});

void describe('fs artifact store: references', () => {
  void test('full, bare, upper-case and prefix references resolve', () =>
    withStore(async ({ store, putContent }) => {
      const { digest } = await putContent('x');
      const hex = digest.slice(7);
      for (const ref of [digest, hex, hex.toUpperCase(), hex.slice(0, 7), `sha256:${hex.slice(0, 12)}`]) {
        assert.equal(await store.resolve(ref), digest, ref);
        assert.equal(await store.has(ref), true);
      }
    }));

  void test('unknown refs are not_found (has: false); malformed and ambiguous are usage errors', () =>
    withStore(async ({ store, dir, putContent }) => {
      await putContent('x');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `abcdef01${'1'.repeat(56)}`), '');
      writeFileSync(join(dir, `abcdef02${'2'.repeat(56)}`), '');
      await assert.rejects(store.resolve('abcdef0'), isError('usage', /abcdef0 matches 2 artifacts .*give more characters/));
      assert.equal(await store.resolve('abcdef01'), `sha256:abcdef01${'1'.repeat(56)}`);
      await assert.rejects(store.resolve('fffffff'), isError('not_found', /no artifact matches fffffff/));
      await assert.rejects(store.path('f'.repeat(64)), isError('not_found', /no artifact sha256:f{64}/));
      assert.equal(await store.has('fffffff'), false);
      await assert.rejects(store.resolve('abc'), isError('usage', /too short/));
      await assert.rejects(store.has('not-a-digest'), isError('usage', /not a digest/));
    }));
});

void describe('fs artifact store: verify', () => {
  void test('intact with provenance → ok; each failure has its reason', () =>
    withStore(async ({ store, dir, putContent }) => {
      const { digest } = await putContent('v');
      const hex = digest.slice(7);
      const unsigned = await store.verify(digest);
      assert.equal(!unsigned.ok && unsigned.reason, 'no-provenance');
      assert.deepEqual(await store.putProvenance(digest, envelope), { written: true });
      assert.deepEqual(await store.putProvenance(digest, envelope), { written: false });
      assert.deepEqual(await store.verify(hex.slice(0, 9)), { ok: true, digest });
      assert.equal(statSync(join(dir, `${hex}.provenance.json`)).mode & 0o777, 0o444);

      // One flipped byte in the blob → corrupt.
      const blob = join(dir, hex);
      const bytes = readFileSync(blob);
      bytes[600] = (bytes[600] ?? 0) ^ 0x01;
      chmodSync(blob, 0o644);
      writeFileSync(blob, bytes);
      const corrupt = await store.verify(digest);
      assert.equal(corrupt.ok, false);
      assert.equal(!corrupt.ok && corrupt.reason, 'corrupt');
      assert.match(!corrupt.ok ? corrupt.message : '', /is corrupt: its bytes now hash to sha256:/);

      const missing = await store.verify('e'.repeat(64));
      assert.equal(!missing.ok && missing.reason, 'missing');
    }));

  void test('a missing manifest is corrupt; a bad provenance is bad-signature', () =>
    withStore(async ({ store, dir, putContent }) => {
      const { digest } = await putContent('m');
      const hex = digest.slice(7);
      await store.putProvenance(digest, envelope);
      chmodSync(join(dir, `${hex}.provenance.json`), 0o644);
      writeFileSync(join(dir, `${hex}.provenance.json`), '{not json');
      const bad = await store.verify(digest);
      assert.equal(!bad.ok && bad.reason, 'bad-signature');
      assert.match(!bad.ok ? bad.message : '', /not valid JSON/);
      unlinkSync(join(dir, `${hex}.manifest.json`));
      const noManifest = await store.verify(digest);
      assert.equal(!noManifest.ok && noManifest.reason, 'corrupt');
      await assert.rejects(store.readManifest(digest), isError('corrupt', /manifest/));
    }));

  void test('the provenance check decides bad-signature and passes the keyid on', async () => {
    let verdict: { ok: true; keyid: string } | { ok: false; message: string } = { ok: false, message: 'signed by a stranger' };
    await withStore(
      async ({ store, putContent }) => {
        const { digest } = await putContent('p');
        await store.putProvenance(digest, envelope);
        const r = await store.verify(digest);
        assert.equal(!r.ok && r.reason, 'bad-signature');
        assert.match(!r.ok ? r.message : '', /signed by a stranger/);
        verdict = { ok: true, keyid: 'abc' };
        assert.deepEqual(await store.verify(digest), { ok: true, digest, keyid: 'abc' });
      },
      () => verdict,
    );
  });
});

void describe('fs artifact store: list and sweep', () => {
  void test('lists blobs only, newest first; sweeps stale temp files only', () =>
    withStore(async ({ store, dir, putContent }) => {
      assert.deepEqual(await store.list(), []);
      const a = await putContent('a');
      const b = await putContent('b');
      utimesSync(join(dir, a.digest.slice(7)), new Date('2020-01-01'), new Date('2020-01-01'));
      const list = await store.list();
      assert.deepEqual(list.map((x) => x.digest), [b.digest, a.digest]);
      assert.equal(list[1]?.storedAt, '2020-01-01T00:00:00.000Z');
      const old = await store.tempPath();
      writeFileSync(old, 'x');
      utimesSync(old, new Date('2020-01-01'), new Date('2020-01-01'));
      const fresh = await store.tempPath();
      writeFileSync(fresh, 'y');
      assert.equal(await store.sweepTemp(60_000), 1);
      assert.equal(existsSync(old), false);
      assert.equal(existsSync(fresh), true);
    }));
});
