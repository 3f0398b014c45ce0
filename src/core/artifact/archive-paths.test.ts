import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ancestorsOf, normaliseRelativePath, resolveLinkWithin } from './archive-paths.js';

void describe('normaliseRelativePath', () => {
  void test('drops ".", empty segments and trailing slashes', () => {
    assert.deepEqual(normaliseRelativePath('./a//b/./c/'), { ok: true, path: 'a/b/c' });
    assert.deepEqual(normaliseRelativePath('.'), { ok: true, path: '' });
  });
  void test('refuses absolute paths, ".." and NUL', () => {
    assert.deepEqual(normaliseRelativePath('/etc'), { ok: false, message: 'is an absolute path' });
    assert.deepEqual(normaliseRelativePath('C:\\x'), { ok: false, message: 'is an absolute (drive) path' });
    assert.deepEqual(normaliseRelativePath('a/../b'), { ok: false, message: 'contains a ".." segment' });
    assert.deepEqual(normaliseRelativePath('a\0b'), { ok: false, message: 'contains a NUL byte' });
  });
  void test('ancestorsOf', () => {
    assert.deepEqual(ancestorsOf('a/b/c'), ['a', 'a/b']);
    assert.deepEqual(ancestorsOf('a'), []);
  });
});

void describe('resolveLinkWithin', () => {
  const none = (): undefined => undefined;
  void test('relative targets inside the root resolve', () => {
    assert.deepEqual(resolveLinkWithin('a/b/l', '../c', none), { ok: true, resolved: 'a/c' });
    assert.deepEqual(resolveLinkWithin('a/l', '..', none), { ok: true, resolved: '' });
  });
  void test('absolute targets and climbing out are refused', () => {
    assert.equal(resolveLinkWithin('l', '/etc', none).ok, false);
    assert.equal(resolveLinkWithin('a/l', '../..', none).ok, false);
    assert.equal(resolveLinkWithin('l', '', none).ok, false);
  });
  void test('follows other links: b -> . then c -> b/.. escapes', () => {
    const links = new Map([['b', '.']]);
    const r = resolveLinkWithin('c', 'b/..', (p) => links.get(p));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /outside the root/);
  });
  void test('a link through a link to an absolute path is refused; a loop is refused', () => {
    const links = new Map([['x', '/tmp'], ['p', 'q'], ['q', 'p']]);
    assert.equal(resolveLinkWithin('l', 'x/y', (p) => links.get(p)).ok, false);
    const loop = resolveLinkWithin('l', 'p', (p) => links.get(p));
    assert.equal(loop.ok, false);
    if (!loop.ok) assert.match(loop.message, /too many levels/);
  });
  void test('a chain that stays inside resolves to its end', () => {
    const links = new Map([['lib', 'vendor/lib']]);
    assert.deepEqual(resolveLinkWithin('bin/tool', '../lib/tool.js', (p) => links.get(p)), { ok: true, resolved: 'vendor/lib/tool.js' });
  });
});
