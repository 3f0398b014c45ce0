// What may be handed to git as a ref: plain refs and expressions pass; options and control characters do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlipwayError } from './errors.js';
import { checkRef, refProblem } from './refs.js';

test('branches, tags, commit ids and rev expressions are refs', () => {
  for (const r of ['HEAD', 'main', 'feature/x-1', 'v1.2.3', 'a'.repeat(40), 'HEAD~2', 'main^', 'refs/heads/main', '@']) assert.equal(refProblem(r), undefined, r);
});

test('a ref starting with "-", empty, too long or with control characters is refused with a usage error', () => {
  for (const r of ['--output=/tmp/x', '--upload-pack=touch /tmp/x', '-n', '', 'x'.repeat(257), 'main\n--output=x', 'a\u0000b']) {
    assert.ok(refProblem(r), JSON.stringify(r));
    assert.throws(() => checkRef(r), (e: unknown) => e instanceof SlipwayError && e.code === 'usage' && e.message.includes('is not a ref'));
  }
  assert.equal(checkRef('main'), 'main');
});
