// Property: whenever resolveLinkWithin accepts a link, the kernel's own resolution of that link
// (realpath on a real tree of directories and links) stays inside the root.
import assert from 'node:assert/strict';
import { mkdirSync, readlinkSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { resolveLinkWithin } from '../../core/artifact/archive-paths.js';
import { tempDir } from './test-helpers.js';

// A small alphabet, so that links through links (the case a lexical check misses) come up often.
const segment = fc.constantFrom('..', '.', 'a', 'l0', 'l1', 'l2');
const target = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const place = fc.constantFrom('', '', 'a', 'a/b');

void test('accepted links never resolve outside the root on a real file system', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(place, target), { minLength: 1, maxLength: 3 }), (links) => {
      const t = tempDir();
      try {
        const root = join(t.dir, 'outer', 'root');
        mkdirSync(join(root, 'a', 'b'), { recursive: true });
        mkdirSync(join(root, 'b'), { recursive: true });
        const rels = links.map(([dir, tgt], i) => {
          const rel = dir === '' ? `l${i}` : `${dir}/l${i}`;
          symlinkSync(tgt, join(root, rel));
          return rel;
        });
        const rootReal = realpathSync(root);
        for (const rel of rels) {
          const verdict = resolveLinkWithin(rel, readlinkSync(join(root, rel)), (p) => {
            try {
              return readlinkSync(join(root, p));
            } catch {
              return undefined;
            }
          });
          if (!verdict.ok) continue;
          let real: string;
          try {
            real = realpathSync(join(root, rel));
          } catch {
            continue; // dangling or a loop the kernel refuses: nothing to escape to
          }
          assert.ok(real === rootReal || real.startsWith(`${rootReal}/`), `${rel} -> ${real} escaped though accepted`);
        }
      } finally {
        t.done();
      }
    }),
    { numRuns: 300 },
  );
});
