import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leftOutBy } from './lean.js';

void describe('the lean rule', () => {
  void test('source maps and test files are left out unless kept', () => {
    assert.equal(leftOutBy('dist/app.js.map', 'file', []), 'source-maps');
    assert.equal(leftOutBy('dist/app.js.map', 'file', ['source-maps']), null);
    for (const f of ['dist/a.test.js', 'src/b.spec.ts', 'lib/c.test.mjs', 'x/d.spec.cjs', 'e.test.tsx']) {
      assert.equal(leftOutBy(f, 'file', []), 'tests', f);
      assert.equal(leftOutBy(f, 'file', ['tests']), null, f);
    }
  });
  void test('test directories are left out, at any depth, unless kept', () => {
    for (const d of ['test', 'dist/tests', 'node_modules/x/__tests__', 'node_modules/@s/p/test']) {
      assert.equal(leftOutBy(d, 'dir', []), 'tests', d);
      assert.equal(leftOutBy(d, 'dir', ['tests']), null, d);
    }
  });
  void test('a dependency named like a test directory is a package, not tests', () => {
    assert.equal(leftOutBy('node_modules/test', 'dir', []), null);
    assert.equal(leftOutBy('node_modules/@scope/tests', 'dir', []), null);
  });
  void test('ordinary files and look-alikes stay', () => {
    for (const f of ['dist/app.js', 'dist/map.js', 'dist/testing.js', 'dist/contest.js', 'src/latest.json', 'dist/spec.js', 'dist/a.test.json']) {
      assert.equal(leftOutBy(f, 'file', []), null, f);
    }
    assert.equal(leftOutBy('dist/testing', 'dir', []), null);
    assert.equal(leftOutBy('dist/map', 'dir', []), null);
  });
  void test("node-gyp's intermediate build files of a package are left out unless kept; the compiled module stays", () => {
    for (const [p, type] of [
      ['node_modules/a/build/Makefile', 'file'],
      ['node_modules/a/build/config.gypi', 'file'],
      ['node_modules/a/build/binding.Makefile', 'file'],
      ['node_modules/a/build/a.target.mk', 'file'],
      ['node_modules/@s/a/build/Makefile', 'file'],
      ['node_modules/a/node_modules/b/build/Release/obj.target', 'dir'],
      ['node_modules/a/build/Release/.deps', 'dir'],
      ['node_modules/a/build/Debug/obj.target', 'dir'],
    ] as const) {
      assert.equal(leftOutBy(p, type, []), 'native-build-files', p);
      assert.equal(leftOutBy(p, type, ['native-build-files']), null, p);
    }
    for (const [p, type] of [
      ['node_modules/a/build/Release/a.node', 'file'],
      ['node_modules/a/build/index.js', 'file'],
      ['node_modules/a/Makefile', 'file'],
      ['build/Makefile', 'file'],
      ['dist/build/config.gypi', 'file'],
      ['node_modules/a/lib/build/Makefile', 'file'],
      ['node_modules/a/build/Release', 'dir'],
      ['node_modules/a/build/obj.target', 'dir'],
    ] as const) {
      assert.equal(leftOutBy(p, type, []), null, p);
    }
  });
});
