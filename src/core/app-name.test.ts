import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNameProblem } from './app-name.js';

void test('app names are DNS labels', () => {
  for (const good of ['shop', 'a', 'shop-2', '0day', 'x'.repeat(63)]) assert.equal(appNameProblem(good), undefined, good);
  for (const bad of ['', 'Shop', '-shop', 'shop-', 'shop_2', 'shop.io', 'x'.repeat(64), 'sh op', '../etc', 'shöp']) {
    assert.match(appNameProblem(bad) ?? '', /invalid app name .*DNS label/, bad);
  }
});
