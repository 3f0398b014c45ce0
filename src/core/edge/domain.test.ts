import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDomain, domainClash, hostOf, HostTable } from './domain.js';

test('domains: DNS names and leftmost wildcards pass, the rest is refused with a reason', () => {
  for (const ok of ['shop.example.com', '*.shop.example.com', 'localhost', 'staging.shop.test', 'a-b.c0.io']) assert.deepEqual(checkDomain(ok), { ok: true }, ok);
  const bad: [string, RegExp][] = [
    ['Shop.example.com', /upper-case/],
    ['shop.*.example.com', /only as the leftmost label/],
    ['*.com', /at least two labels/],
    ['10.0.0.1', /IP address/],
    ['-shop.example.com', /not a DNS label/],
    ['shop..example.com', /not a DNS label/],
    ['shop.example.com.', /not a DNS label/],
    ['shop_1.example.com', /not a DNS label/],
    ['', /length/],
    [`${'a'.repeat(64)}.com`, /not a DNS label/],
    ['[::1]', /not a DNS label/],
  ];
  for (const [d, why] of bad) {
    const r = checkDomain(d);
    assert.equal(r.ok, false, d);
    if (!r.ok) assert.match(r.message, why, d);
  }
});

test('a domain claimed by another environment names both', () => {
  const claims = new Map([['shop.example.com', 'production']]);
  assert.equal(domainClash('production', ['shop.example.com'], claims), undefined);
  assert.match(domainClash('staging', ['x.test', 'shop.example.com'], claims) ?? '', /shop\.example\.com is claimed by both environment "production" and environment "staging"/);
  // A server's apps share one proxy: the keys are <app>.<env>, and the message names both apps.
  const shared = new Map([['staging.shop.test', 'shop.staging']]);
  assert.equal(domainClash('shop.staging', ['staging.shop.test'], shared), undefined);
  assert.equal(
    domainClash('blog.staging', ['staging.blog.test', 'staging.shop.test'], shared),
    'domain staging.shop.test is claimed by both app "shop" environment "staging" and app "blog" environment "staging"',
  );
});

test('Host headers: port stripped, case folded, trailing dot tolerated, IPv6 literals match nothing', () => {
  assert.equal(hostOf('Shop.Example.COM.:443'), 'shop.example.com');
  assert.equal(hostOf('shop.example.com'), 'shop.example.com');
  assert.equal(hostOf('[::1]:80'), undefined);
  assert.equal(hostOf(undefined), undefined);
  assert.equal(hostOf(''), undefined);
});

test('host table: exact first, then the longest wildcard; unknown hosts find nothing', () => {
  const t = new HostTable([
    ['shop.example.com', 'prod'],
    ['*.shop.example.com', 'previews'],
    ['*.example.com', 'catch'],
    ['admin.shop.example.com', 'admin'],
  ]);
  assert.equal(t.lookup('shop.example.com'), 'prod');
  assert.equal(t.lookup('admin.shop.example.com'), 'admin');
  assert.equal(t.lookup('pr-1.shop.example.com'), 'previews');
  assert.equal(t.lookup('a.b.shop.example.com'), 'previews');
  assert.equal(t.lookup('blog.example.com'), 'catch');
  assert.equal(t.lookup('example.com'), undefined);
  assert.equal(t.lookup('shop.example.org'), undefined);
  assert.equal(t.lookup('evilshop.example.com'), 'catch');
  assert.equal(new HostTable([['*.shop.example.com', 'p']]).lookup('evilshop.example.com'), undefined);
});
