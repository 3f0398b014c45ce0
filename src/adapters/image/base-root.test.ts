import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseRootFiles, parseLdd } from './base-root.js';

test('ldd output gives the libraries with their paths, without the vdso', () => {
  const out = [
    '\tlinux-vdso.so.1 (0x00007f16f2e6b000)',
    '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f16f2c00000)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f16f293e000)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f16f2e6d000)',
    '\tlibmissing.so => not found',
  ].join('\n');
  assert.deepEqual(parseLdd(out), ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2']);
});

test('the base root holds this node, a shell and their libraries, sorted', () => {
  const files = baseRootFiles();
  const to = files.map((f) => f.to);
  assert.ok(to.includes('/usr/local/bin/node'));
  assert.ok(to.includes('/bin/sh'));
  assert.ok(to.some((p) => /libc\.so/.test(p)), to.join(' '));
  assert.deepEqual([...to].sort(), to);
});
