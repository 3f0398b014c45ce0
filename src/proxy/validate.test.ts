import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRouteEnv, checkEnvRoutes } from './validate.js';

const good = {
  port: 8080,
  backends: [
    { release: 'v3', digest: 'sha256:abc', weight: 0.9, instances: [{ id: 'web-1', url: 'http://127.0.0.1:3001' }] },
    { release: 'v4', weight: 0.1, instances: [{ id: 'web-1', url: 'http://127.0.0.1:3002/' }] },
  ],
};

/** Asserts the body is refused with a message matching `pattern`. */
function refused(body: unknown, pattern: RegExp): void {
  const r = checkEnvRoutes(body);
  assert.equal(r.ok, false, `expected refusal for ${JSON.stringify(body)}`);
  if (!r.ok) assert.match(r.message, pattern);
}

void describe('checkEnvRoutes', () => {
  void test('accepts a canary table and normalises instance URLs to origins', () => {
    const r = checkEnvRoutes(good);
    assert.ok(r.ok);
    assert.equal(r.value.backends[1]!.instances[0]!.url, 'http://127.0.0.1:3002');
    assert.equal(r.value.backends[0]!.digest, 'sha256:abc');
    assert.equal(r.value.host, undefined);
  });

  void test('accepts an empty table (answered 503) and weights that sum to 1 within float error', () => {
    assert.ok(checkEnvRoutes({ port: 1, backends: [] }).ok);
    const thirds = [0.1, 0.2, 0.7].map((w, i) => ({ release: `r${i}`, weight: w, instances: [{ id: 'a', url: 'http://127.0.0.1:1' }] }));
    assert.ok(checkEnvRoutes({ port: 1, backends: thirds }).ok);
  });

  void test('refuses malformed bodies with a message naming the field', () => {
    refused(null, /JSON object/);
    refused([], /JSON object/);
    refused('x', /JSON object/);
    refused({ ...good, extra: 1 }, /unknown field "extra"/);
    refused({ ...good, port: 0 }, /port must be an integer/);
    refused({ ...good, port: 70000 }, /port must be an integer/);
    refused({ ...good, port: '80' }, /port must be an integer/);
    refused({ ...good, port: 80.5 }, /port must be an integer/);
    refused({ ...good, host: 'localhost' }, /host must be an IP/);
    refused({ port: 80 }, /backends must be an array/);
    refused({ port: 80, backends: [1] }, /backends\[0\] must be an object/);
  });

  void test('refuses bad backends', () => {
    const inst = [{ id: 'a', url: 'http://127.0.0.1:1' }];
    refused({ port: 80, backends: [{ release: '', weight: 1, instances: inst }] }, /backends\[0\]\.release/);
    refused({ port: 80, backends: [{ release: 'a b', weight: 1, instances: inst }] }, /backends\[0\]\.release/);
    refused({ port: 80, backends: [{ release: 'v1', weight: 1.5, instances: inst }] }, /weight must be a fraction/);
    refused({ port: 80, backends: [{ release: 'v1', weight: -0.1, instances: inst }] }, /weight must be a fraction/);
    refused({ port: 80, backends: [{ release: 'v1', weight: Number.NaN, instances: inst }] }, /weight must be a fraction/);
    refused({ port: 80, backends: [{ release: 'v1', weight: 0.5, instances: inst }] }, /sum to 1 \(they sum to 0\.5\)/);
    refused({ port: 80, backends: [{ release: 'v1', weight: 1, instances: [] }] }, /instances must be a non-empty array/);
    refused({ port: 80, backends: [{ release: 'v1', weight: 1, digest: '', instances: inst }] }, /digest/);
    refused({ port: 80, backends: [{ release: 'v1', weight: 1, instances: inst, colour: 'x' }] }, /unknown field "colour"/);
    const twice = { release: 'v1', weight: 0.5, instances: inst };
    refused({ port: 80, backends: [twice, twice] }, /"v1" appears twice/);
  });

  void test('refuses bad instances', () => {
    const one = (instances: unknown) => ({ port: 80, backends: [{ release: 'v1', weight: 1, instances }] });
    refused(one(['x']), /instances\[0\] must be an object/);
    refused(one([{ id: '', url: 'http://127.0.0.1:1' }]), /instances\[0\]\.id/);
    refused(one([{ id: 'a' }]), /url must be a string/);
    refused(one([{ id: 'a', url: 'not a url' }]), /is not a URL/);
    refused(one([{ id: 'a', url: 'https://127.0.0.1:1' }]), /must use http:/);
    refused(one([{ id: 'a', url: 'http://127.0.0.1:1/app' }]), /origin only/);
    refused(one([{ id: 'a', url: 'http://127.0.0.1:1/?q=1' }]), /origin only/);
    refused(one([{ id: 'a', url: 'http://u:p@127.0.0.1:1' }]), /origin only/);
    refused(
      one([
        { id: 'a', url: 'http://127.0.0.1:1' },
        { id: 'a', url: 'http://127.0.0.1:2' },
      ]),
      /id "a" appears twice/,
    );
  });
});

void describe('checkRouteEnv', () => {
  void test('accepts ordinary names and refuses odd ones', () => {
    assert.ok(checkRouteEnv('production').ok);
    assert.ok(checkRouteEnv('pr-12_preview').ok);
    // The apps of a server share one proxy: their keys are <app>.<env>.
    assert.ok(checkRouteEnv('shop.staging').ok);
    assert.ok(checkRouteEnv('pr-12.preview').ok);
    for (const bad of ['', '-x', 'a/b', 'a b', '..', 'Prod', 'x'.repeat(64), 'shop.', '.staging', 'Shop.staging', 'shop.Staging', 'shop_1.staging', 'a.b.c', 'shop..staging', '-shop.staging']) {
      const r = checkRouteEnv(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.message, /environment name/);
    }
  });
});
