// Webhook signatures: GitHub's documented test vector, verification of the exact bytes only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantTimeEqual, signBody, verifySignature } from './signature.js';

test("signs like GitHub's X-Hub-Signature-256 (the vector of GitHub's docs)", () => {
  assert.equal(signBody("It's a Secret to Everybody", 'Hello, World!'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
});

test('verifies the exact body under the exact key, in any hex case, and nothing else', () => {
  const sig = signBody('k', '{"a":1}');
  assert.ok(verifySignature('k', '{"a":1}', sig));
  assert.ok(verifySignature('k', Buffer.from('{"a":1}'), ` sha256=${sig.slice(7).toUpperCase()} `));
  assert.ok(!verifySignature('k', '{"a": 1}', sig));
  assert.ok(!verifySignature('K', '{"a":1}', sig));
  assert.ok(!verifySignature('k', '{"a":1}', sig.slice(7)), 'the sha256= prefix is required');
  assert.ok(!verifySignature('k', '{"a":1}', ''));
});

test('constantTimeEqual compares strings of any lengths', () => {
  assert.ok(constantTimeEqual('abc', 'abc'));
  assert.ok(!constantTimeEqual('abc', 'abcd'));
  assert.ok(!constantTimeEqual('', 'a'));
});
