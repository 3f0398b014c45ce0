// Tests of git's smart HTTP pieces: pkt-lines, authentication, the routes it serves and refuses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsOf, parseGitPath, pktLine } from './git-http.js';

const TOKEN = 'x'.repeat(43);
const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

test('pktLine prefixes the length, itself included, in four hex digits', () => {
  assert.equal(pktLine('# service=git-upload-pack\n'), '001e# service=git-upload-pack\n');
  assert.equal(pktLine(''), '0004');
});

describe('credentialsOf', () => {
  test('takes the password of HTTP Basic with its user name (any name; "token" when it is not a plain name), or a bearer token', () => {
    assert.deepEqual(credentialsOf(basic('alice', TOKEN)), { user: 'alice', secret: TOKEN });
    assert.deepEqual(credentialsOf(basic('', TOKEN)), { user: 'token', secret: TOKEN });
    assert.deepEqual(credentialsOf(basic('bad name!', TOKEN)), { user: 'token', secret: TOKEN });
    assert.deepEqual(credentialsOf(`Bearer ${TOKEN}`), { user: 'token', secret: TOKEN });
  });

  test('a missing or malformed credential is none', () => {
    for (const h of [undefined, '', 'Basic', 'Basic !!!', `Basic ${Buffer.from(TOKEN).toString('base64')}`, `Digest ${TOKEN}`, TOKEN]) {
      assert.equal(credentialsOf(h), undefined, String(h));
    }
  });
});

describe('parseGitPath', () => {
  test('the advertisement and the two services', () => {
    assert.deepEqual(parseGitPath('GET', '/git/app.git/info/refs', 'git-upload-pack'), { ok: true, app: 'app', kind: 'refs', service: 'git-upload-pack' });
    assert.deepEqual(parseGitPath('GET', '/git/app.git/info/refs', 'git-receive-pack'), { ok: true, app: 'app', kind: 'refs', service: 'git-receive-pack' });
    assert.deepEqual(parseGitPath('POST', '/git/my-app.git/git-receive-pack', null), { ok: true, app: 'my-app', kind: 'rpc', service: 'git-receive-pack' });
  });

  test('refuses dumb HTTP, unknown services, wrong methods and other paths', () => {
    const cases: [string, string, string | null, number][] = [
      ['GET', '/git/app.git/info/refs', null, 403],
      ['GET', '/git/app.git/info/refs', 'git-upload-archive', 403],
      ['POST', '/git/app.git/info/refs', 'git-upload-pack', 405],
      ['GET', '/git/app.git/git-upload-pack', null, 405],
      ['GET', '/git/app.git/HEAD', null, 403],
      ['GET', '/git/app.git/objects/info/packs', null, 403],
      ['GET', '/git/app/info/refs', 'git-upload-pack', 404],
      ['GET', '/git/', null, 404],
    ];
    for (const [method, path, service, status] of cases) {
      const r = parseGitPath(method, path, service);
      assert.equal(r.ok, false, path);
      if (!r.ok) assert.equal(r.status, status, `${method} ${path}`);
    }
  });
});
