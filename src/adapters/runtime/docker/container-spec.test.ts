import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceSpec } from '../../../ports/runtime.js';
import { containerCreateOptions, LABEL } from './container-spec.js';
import { compareApiVersions, demuxLogs } from './engine.js';

const digest = `sha256:${'a'.repeat(64)}`;
const spec: InstanceSpec = {
  env: 'staging', release: 3, digest, command: 'exec node server.js', instances: 1, vars: { API_TOKEN: 's3cret-value', PORT: '1' },
  health: { path: '/healthz', intervalMs: 50, timeoutMs: 500, startTimeoutMs: 5000 }, stopGraceMs: 2500, secretValues: ['s3cret-value'],
};
const image = `127.0.0.1:5000/slipway/app@sha256:${'b'.repeat(64)}`;

test('a container is created from the image digest, on the host network, confined, with the release in its environment', () => {
  const o = containerCreateOptions({ spec, id: 'staging-v3-1-abcdef', image, port: 41234, dataDir: '/h/container-data/staging', owner: 'f00' }) as {
    name: string; Image: string; Cmd: string[]; Env: string[]; Labels: Record<string, string>; StopTimeout: number; User: string;
    HostConfig: { NetworkMode: string; ReadonlyRootfs: boolean; CapDrop: string[]; RestartPolicy: { Name: string }; Binds: string[] };
  };
  assert.equal(o.name, 'slipway-staging-v3-1-abcdef');
  assert.equal(o.Image, image);
  assert.deepEqual(o.Cmd, ['/bin/sh', '-c', 'exec node server.js']);
  assert.equal(o.User, '65534:65534');
  assert.equal(o.HostConfig.NetworkMode, 'host');
  assert.equal(o.HostConfig.ReadonlyRootfs, true);
  assert.deepEqual(o.HostConfig.CapDrop, ['ALL']);
  assert.deepEqual(o.HostConfig.RestartPolicy, { Name: 'no' }, 'armed only once healthy');
  assert.deepEqual(o.HostConfig.Binds, ['/h/container-data/staging:/data:rw']);
  assert.equal(o.StopTimeout, 3, 'the grace, rounded up to whole seconds');
  assert.ok(o.Env.includes('PORT=41234'), 'Slipway\'s PORT wins over a config value');
  assert.ok(o.Env.includes('SLIPWAY_RELEASE=v3'));
  assert.ok(o.Env.includes('API_TOKEN=s3cret-value'));
  assert.ok(!JSON.stringify(o.Labels).includes('s3cret'), 'no config or secret value in a label');
  assert.equal(o.Labels[LABEL.port], '41234');
  assert.equal(o.Labels[LABEL.home], 'f00');
});

test('engine API versions compare by number, and log frames split by stream', () => {
  assert.equal(compareApiVersions('1.41', '1.41'), 0);
  assert.equal(compareApiVersions('1.9', '1.41'), -1);
  assert.equal(compareApiVersions('1.43', '1.41'), 1);
  assert.equal(compareApiVersions('2.0', '1.41'), 1);
  const frame = (kind: number, text: string): Buffer => {
    const h = Buffer.alloc(8);
    h[0] = kind;
    h.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([h, Buffer.from(text)]);
  };
  assert.deepEqual(demuxLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'cut')]).subarray(0, 8 + 4 + 8 + 4 + 8 + 3)), [
    { stream: 'out', text: 'out\n' }, { stream: 'err', text: 'err\n' }, { stream: 'out', text: 'cut' },
  ]);
});
