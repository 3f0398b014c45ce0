import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGenericPush, remoteUrlProblem } from './remote.js';
import { checkSignedDelivery } from './incoming.js';
import { signBody, signedContent } from './signature.js';

describe('webhook remotes', () => {
  test('https, ssh, scp-like, file:// and absolute paths are accepted', () => {
    for (const url of ['https://github.com/acme/shop.git', 'ssh://git@github.com:22/acme/shop.git', 'git@github.com:acme/shop.git', 'file:///srv/git/shop.git', '/srv/git/shop.git']) {
      assert.equal(remoteUrlProblem(url), undefined, url);
    }
  });

  test('every other form is refused, saying why', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['x'.repeat(501), /longer/],
      ['ext::sh -c touch% /tmp/x', /space|ext::/],
      ['ext::sh', /ext::/],
      ['fd::17', /::/],
      ['--upload-pack=touch', /"-"/],
      ['-oProxyCommand=x', /"-"/],
      ['http://example.test/shop.git', /http:\/\/ is refused/],
      ['git://example.test/shop.git', /git:\/\/ is refused/],
      ['https://user:pass@example.test/shop.git', /password/],
      ['https:///shop.git', /host|parse/],
      ['file://host/srv/x.git', /absolute path/],
      ['/srv/../etc/x.git', /\.\./],
      ['shop.git', /expected/],
      ['./shop.git', /expected/],
      ['https://example.test/a\nb', /control/],
    ];
    for (const [url, message] of bad) {
      const problem = remoteUrlProblem(url);
      assert.ok(problem !== undefined, url);
      assert.match(problem, message, url);
    }
  });
});

describe('generic signed pushes', () => {
  const commit = 'b'.repeat(40);
  const secret = 'a long enough webhook secret';
  const body = JSON.stringify({ commit });
  const now = 1_760_000_000_000;
  const ts = String(now / 1000);
  const signature = signBody(secret, signedContent(ts, body));
  const never = (): boolean => false;

  test('the payload: commit, and ref (main by default); anything else named', () => {
    assert.deepEqual(parseGenericPush({ commit }), { ok: true, push: { commit, ref: 'refs/heads/main' } });
    assert.deepEqual(parseGenericPush({ commit, ref: 'refs/heads/dev' }), { ok: true, push: { commit, ref: 'refs/heads/dev' } });
    for (const [value, field] of [[null, 'body'], [[commit], 'body'], [{}, 'commit'], [{ commit: 'B'.repeat(40) }, 'commit'], [{ commit, ref: 'main' }, 'ref'], [{ commit, ref: 'refs/heads/$(x)' }, 'ref'], [{ commit, after: commit }, 'after']] as const) {
      const r = parseGenericPush(value);
      assert.equal(r.ok ? '' : r.field, field, JSON.stringify(value));
    }
  });

  test('signed over <timestamp>.<body> within the window, once', () => {
    const ok = checkSignedDelivery({ signature, timestamp: ts }, body, secret, now, never);
    assert.deepEqual(ok, { ok: true, event: 'push', delivery: `sig-${signature.slice(7)}` });
    const replay = checkSignedDelivery({ signature, timestamp: ts }, body, secret, now, () => true);
    assert.equal(replay.ok ? 0 : replay.status, 409);
  });

  test('no secret, no or wrong signature, a missing, changed or stale timestamp: 401', () => {
    const cases: [Parameters<typeof checkSignedDelivery>[0], string, string | undefined, number, RegExp][] = [
      [{ signature, timestamp: ts }, body, undefined, now, /no webhook secret/],
      [{ timestamp: ts }, body, secret, now, /missing/],
      [{ signature }, body, secret, now, /Timestamp/],
      [{ signature, timestamp: 'yesterday' }, body, secret, now, /Timestamp/],
      [{ signature, timestamp: String(Number(ts) + 1) }, body, secret, now, /does not match/],
      [{ signature, timestamp: ts }, `${body} `, secret, now, /does not match/],
      [{ signature, timestamp: ts }, body, 'another secret', now, /does not match/],
      [{ signature, timestamp: ts }, body, secret, now + 301_000, /300 s/],
      [{ signature, timestamp: ts }, body, secret, now - 301_000, /300 s/],
    ];
    for (const [h, b, s, at, message] of cases) {
      const r = checkSignedDelivery(h, b, s, at, never);
      assert.equal(r.ok ? 0 : r.status, 401, message.source);
      if (!r.ok) assert.match(r.message, message);
    }
  });
});
