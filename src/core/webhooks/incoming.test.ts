import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGithubDelivery, decidePush, parsePushPayload } from './incoming.js';
import { signBody } from './signature.js';

const SECRET = 'It’s a Secret to Everybody';
const body = Buffer.from('{"ref":"refs/heads/main"}');
const never = (): boolean => false;

describe('incoming GitHub deliveries', () => {
  test('an authentic, new delivery passes with its event and id', () => {
    assert.deepEqual(checkGithubDelivery({ signature: signBody(SECRET, body), event: 'push', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' }, body, SECRET, never), {
      ok: true,
      event: 'push',
      delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
  });

  test('unsigned, wrongly signed, signed over other bytes or with no secret configured: 401', () => {
    const cases: [Parameters<typeof checkGithubDelivery>[0], Uint8Array, string | undefined, RegExp][] = [
      [{ event: 'push', delivery: 'a1' }, body, SECRET, /missing/],
      [{ signature: signBody('other', body), event: 'push', delivery: 'a1' }, body, SECRET, /does not match/],
      [{ signature: signBody(SECRET, body), event: 'push', delivery: 'a1' }, Buffer.from('{"ref": "refs/heads/main"}'), SECRET, /does not match/],
      [{ signature: signBody(SECRET, body).slice(7), event: 'push', delivery: 'a1' }, body, SECRET, /does not match/],
      [{ signature: signBody('', body), event: 'push', delivery: 'a1' }, body, undefined, /no webhook secret/],
      [{ signature: signBody('', body), event: 'push', delivery: 'a1' }, body, '', /no webhook secret/],
    ];
    for (const [h, b, secret, message] of cases) {
      const r = checkGithubDelivery(h, b, secret, never);
      assert.equal(r.ok, false);
      if (r.ok) continue;
      assert.equal(r.status, 401);
      assert.match(r.message, message);
    }
  });

  test('a replayed delivery id is refused (409) even with a valid signature; bad headers are 400 after the signature', () => {
    const sig = signBody(SECRET, body);
    const replay = checkGithubDelivery({ signature: sig, event: 'push', delivery: 'a1' }, body, SECRET, (d) => d === 'a1');
    assert.deepEqual(replay, { ok: false, status: 409, message: 'delivery a1 was received before: a replay is refused' });
    for (const h of [{ signature: sig, delivery: 'a1' }, { signature: sig, event: 'Push!', delivery: 'a1' }, { signature: sig, event: 'push' }, { signature: sig, event: 'push', delivery: 'a b' }]) {
      const r = checkGithubDelivery(h, body, SECRET, never);
      assert.equal(r.ok ? 0 : r.status, 400, JSON.stringify(h));
    }
  });
});

describe('push payloads', () => {
  const after = 'a'.repeat(40);
  const good = { ref: 'refs/heads/main', after, repository: { full_name: 'acme/shop' } };

  test('the fields that matter, each wrong form named', () => {
    assert.deepEqual(parsePushPayload(good), { ok: true, push: { ref: 'refs/heads/main', after, repository: 'acme/shop' } });
    const bad: [unknown, string][] = [
      [[], 'body'],
      [null, 'body'],
      [{ ...good, ref: 5 }, 'ref'],
      [{ ...good, ref: 'main' }, 'ref'],
      [{ ...good, ref: 'refs/heads/$(x)' }, 'ref'],
      [{ ...good, after: 'A'.repeat(40) }, 'after'],
      [{ ...good, after: 'a'.repeat(39) }, 'after'],
      [{ ...good, after: undefined }, 'after'],
      [{ ...good, repository: 'acme/shop' }, 'repository.full_name'],
      [{ ...good, repository: { full_name: '../x' } }, 'repository.full_name'],
    ];
    for (const [b, field] of bad) {
      const r = parsePushPayload(b);
      assert.equal(r.ok ? undefined : r.field, field, JSON.stringify(b));
    }
  });

  test('a new commit on main is queued; another branch, a tag or the deletion of main is ignored with a reason', () => {
    assert.deepEqual(decidePush({ ref: 'refs/heads/main', after, repository: 'acme/shop' }), { kind: 'queue', commit: after });
    assert.deepEqual(decidePush({ ref: 'refs/heads/trunk', after, repository: 'acme/shop' }, 'trunk'), { kind: 'queue', commit: after });
    assert.match(JSON.stringify(decidePush({ ref: 'refs/heads/feature', after, repository: 'acme/shop' })), /"ignore".*only pushes to main are queued/);
    assert.match(JSON.stringify(decidePush({ ref: 'refs/tags/v1', after, repository: 'acme/shop' })), /"ignore"/);
    assert.match(JSON.stringify(decidePush({ ref: 'refs/heads/main', after: '0'.repeat(40), repository: 'acme/shop' })), /deletes main/);
  });
});
