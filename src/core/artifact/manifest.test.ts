import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffManifests, MANIFEST_SCHEMA, parseManifest, type ManifestEntry } from './manifest.js';

const sha = (c: string): string => c.repeat(64);
const file = (path: string, c: string, mode = 0o644): ManifestEntry => ({ path, type: 'file', size: 1, mode, sha256: sha(c) });

void describe('diffManifests', () => {
  void test('identical manifests are the same', () => {
    const e = [file('a', '1'), { path: 'd', type: 'dir' as const, size: 0, mode: 0o755 }];
    assert.deepEqual(diffManifests({ entries: e }, { entries: [...e] }), { same: true, added: [], removed: [], changed: [] });
  });
  void test('reports added, removed and changed paths with what changed', () => {
    const a = { entries: [file('keep', '1'), file('gone', '2'), file('content', '3'), file('mode', '4'), { path: 'l', type: 'symlink' as const, size: 0, mode: 0o777, target: 'x' }, file('kind', '5')] };
    const b = {
      entries: [
        file('keep', '1'),
        file('new', '6'),
        file('content', '7'),
        file('mode', '4', 0o755),
        { path: 'l', type: 'symlink' as const, size: 0, mode: 0o777, target: 'y' },
        { path: 'kind', type: 'dir' as const, size: 0, mode: 0o755 },
      ],
    };
    assert.deepEqual(diffManifests(a, b), {
      same: false,
      added: ['new'],
      removed: ['gone'],
      changed: [
        { path: 'content', kinds: ['content'] },
        { path: 'kind', kinds: ['type', 'mode'] },
        { path: 'l', kinds: ['target'] },
        { path: 'mode', kinds: ['mode'] },
      ],
    });
  });
});

void describe('parseManifest', () => {
  const good = { schema: MANIFEST_SCHEMA, digest: `sha256:${sha('a')}`, size: 2048, files: 1, entries: [file('a', 'b')] };
  void test('accepts a stored manifest', () => {
    const r = parseManifest(good);
    assert.ok(r.ok);
    assert.deepEqual(r.manifest, { digest: good.digest, size: 2048, files: 1, entries: [file('a', 'b')] });
  });
  void test('malformed manifests are refused with the field named', () => {
    const cases: [unknown, RegExp][] = [
      ['x', /must be a JSON object/],
      [{ ...good, schema: 'other' }, /"schema"/],
      [{ ...good, digest: 'sha256:xyz' }, /"digest"/],
      [{ ...good, size: -1 }, /"size"/],
      [{ ...good, files: 1.5 }, /"files"/],
      [{ ...good, entries: {} }, /"entries" must be an array/],
      [{ ...good, entries: [{ path: '', type: 'file', size: 0, mode: 0 }] }, /entries\[0\]: "path"/],
      [{ ...good, entries: [{ path: 'a', type: 'fifo', size: 0, mode: 0 }] }, /entries\[0\]: "type"/],
      [{ ...good, entries: [{ path: 'a', type: 'file', size: 0, mode: 0, sha256: 'zz' }] }, /"sha256"/],
      [{ ...good, entries: [{ path: 'a', type: 'symlink', size: 0, mode: 0, target: 1 }] }, /"target"/],
    ];
    for (const [value, pattern] of cases) {
      const r = parseManifest(value);
      assert.equal(r.ok, false, JSON.stringify(value));
      if (!r.ok) assert.match(r.message, pattern);
    }
  });
});
