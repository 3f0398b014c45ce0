import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRoute, parseRouteKey, routeKeyOf } from './route-key.js';

void describe('route keys', () => {
  void test('local mode keys are the environment, server mode keys are app.env, and both read back', () => {
    assert.equal(routeKeyOf('staging'), 'staging');
    assert.equal(routeKeyOf('staging', 'shop'), 'shop.staging');
    assert.deepEqual(parseRouteKey('staging'), { ok: true, value: { env: 'staging' } });
    assert.deepEqual(parseRouteKey('shop.staging'), { ok: true, value: { app: 'shop', env: 'staging' } });
    assert.deepEqual(parseRouteKey(routeKeyOf('staging-eu_2', 'my-shop-1')), { ok: true, value: { app: 'my-shop-1', env: 'staging-eu_2' } });
  });

  void test('bad keys are refused with a message: bad app, bad env, empty parts, a second dot', () => {
    for (const bad of ['', '.', 'shop.', '.staging', 'Shop.staging', 'shop.Staging', '-shop.staging', 'shop-.staging', 'shop_x.staging', 'a.b.c', 'shop..staging', `${'x'.repeat(64)}.staging`, `shop.${'x'.repeat(64)}`, 'shop/../x', 'shop.st aging', 'Staging']) {
      const r = parseRouteKey(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.message, /invalid (route|environment) name/, bad);
    }
  });

  void test('describeRoute names the app and the environment, or the environment alone', () => {
    assert.equal(describeRoute('shop.staging'), 'app "shop" environment "staging"');
    assert.equal(describeRoute('staging'), 'environment "staging"');
    assert.equal(describeRoute('a.b.c'), 'route "a.b.c"');
  });
});
