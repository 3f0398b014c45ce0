import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageDocuments, OCI_LAYER_TAR, parseImageRef } from './oci.js';

const layer = (c: string): { mediaType: string; digest: string; size: number } => ({ mediaType: OCI_LAYER_TAR, digest: `sha256:${c.repeat(64)}`, size: 10 });
const spec = { layers: [layer('a'), layer('b')], created: 1714557600, arch: 'x64', env: { PATH: '/bin', B: '1' }, workingDir: '/app', annotations: { x: 'y' } };

test('the same spec gives the same bytes; any change gives another digest', () => {
  const one = imageDocuments(spec);
  assert.deepEqual(imageDocuments({ ...spec, env: { B: '1', PATH: '/bin' } }), one);
  assert.notEqual(imageDocuments({ ...spec, created: spec.created + 1 }).digest, one.digest);
  assert.notEqual(imageDocuments({ ...spec, layers: [layer('a'), layer('c')] }).digest, one.digest);
  const config = JSON.parse(one.config.toString()) as { architecture: string; created: string; rootfs: { diff_ids: string[] }; config: { Env: string[] } };
  assert.equal(config.architecture, 'amd64');
  assert.equal(config.created, '2024-05-01T10:00:00Z');
  assert.deepEqual(config.rootfs.diff_ids, spec.layers.map((l) => l.digest));
  assert.deepEqual(config.config.Env, ['B=1', 'PATH=/bin']);
});

test('image references are by digest only', () => {
  const d = `sha256:${'e'.repeat(64)}`;
  assert.deepEqual(parseImageRef(`127.0.0.1:5000/slipway/app@${d}`), { host: '127.0.0.1:5000', name: 'slipway/app', digest: d });
  for (const bad of ['127.0.0.1:5000/slipway/app:latest', `slipway@${d}`, `127.0.0.1:5000/App@${d}`, `127.0.0.1:5000/app@sha256:abc`, `127.0.0.1:5000/app@${d}\n`]) {
    assert.equal(parseImageRef(bad), null, bad);
  }
});
