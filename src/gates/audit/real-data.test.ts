// The audit against the 35 real GitHub advisories in test/fixtures/osv/npm (see its README):
// every vulnerable and safe pin of the README's table and every edge case it lists, checked as
// the exact set of advisory ids that match.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditLockfile, auditTree, cvss3BaseScore, loadOsvDatabase, matchPackage, parseLockfile, severityOfScore, type OsvDatabase } from './index.js';

// dist/src/gates/audit/ → the repository root, where the fixtures live (a missing folder fails
// the load below: the suite never skips).
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const osvDir = path.join(repoRoot, 'test/fixtures/osv/npm');

let db: OsvDatabase;
before(async () => {
  const r = await loadOsvDatabase(osvDir, { onBadFile: 'fail' });
  if (!r.ok) throw new Error(r.message);
  db = r.db;
});

const short = (id: string): string => id.slice(5, 9);
/** Ids (first four characters after "GHSA-") of the records that match name@version. */
const matching = (name: string, version: string): string[] =>
  db.records
    .filter((r) => matchPackage(r, name, version))
    .map((r) => short(r.id))
    .sort();

// [package, version, the advisories that must match (by their first 4 id characters)]
const PINS: [string, string, string[]][] = [
  ['ansi-regex', '5.0.0', ['93q8']], ['ansi-regex', '5.0.1', []], ['ansi-regex', '2.1.1', []],
  ['axios', '1.5.1', ['wf5p']], ['axios', '1.6.0', []], ['axios', '0.27.2', ['wf5p']],
  ['debug', '4.1.1', ['gxpj']], ['debug', '4.3.4', []], ['debug', '3.1.0', []], ['debug', '3.2.6', ['gxpj']], ['debug', '2.6.8', ['gxpj']], ['debug', '2.6.9', []],
  ['express', '4.18.2', ['rv95']], ['express', '4.21.2', []], ['express', '5.0.0-alpha.1', ['rv95']], ['express', '5.0.0-beta.1', ['rv95']], ['express', '5.0.0-beta.3', []], ['express', '5.0.0', []],
  ['follow-redirects', '1.14.7', ['74fj', 'jchw']], ['follow-redirects', '1.15.3', ['jchw']], ['follow-redirects', '1.15.6', []],
  ['glob-parent', '5.1.1', ['ww39']], ['glob-parent', '5.1.2', []], ['glob-parent', '2.0.0', []], ['glob-parent', '6.0.2', []],
  ['handlebars', '4.7.6', ['f2jv']], ['handlebars', '4.7.7', []],
  ['hosted-git-info', '2.8.8', ['43f8']], ['hosted-git-info', '2.8.9', []], ['hosted-git-info', '3.0.7', ['43f8']], ['hosted-git-info', '3.0.8', []],
  ['ini', '1.3.5', ['qqgx']], ['ini', '1.3.8', []],
  ['ip', '2.0.0', ['2p57']], ['ip', '2.0.1', []], ['ip', '1.1.8', ['2p57']],
  ['json5', '2.2.1', ['9c47']], ['json5', '2.2.3', []], ['json5', '1.0.1', ['9c47']], ['json5', '1.0.2', []],
  ['jsonwebtoken', '8.5.1', ['8cf7']], ['jsonwebtoken', '9.0.0', []],
  ['lodash', '4.17.11', ['35jh', 'jf85', 'p6mc']], ['lodash', '4.17.15', ['35jh', 'p6mc']], ['lodash', '4.17.20', ['35jh']], ['lodash', '4.17.21', []],
  ['lodash-es', '4.17.13', ['35jh', 'jf85', 'p6mc']], ['lodash-es', '4.17.20', ['35jh']], ['lodash-es', '4.17.21', []],
  ['lodash-amd', '4.17.12', ['jf85']], ['lodash-amd', '4.17.13', []],
  ['lodash.defaultsdeep', '4.6.0', ['jf85']], ['lodash.defaultsdeep', '4.6.1', []],
  ['lodash.set', '4.3.2', ['p6mc']], ['lodash.set', '3.6.0', []], ['lodash.pick', '4.4.0', ['p6mc']], ['lodash.pick', '3.1.0', []],
  ['marked', '4.0.9', ['rrrm']], ['marked', '4.0.10', []],
  ['minimist', '1.2.0', ['vh95', 'xvch']], ['minimist', '1.2.5', ['xvch']], ['minimist', '1.2.8', []], ['minimist', '0.2.0', ['vh95', 'xvch']], ['minimist', '0.2.1', ['xvch']], ['minimist', '0.2.4', []],
  ['moment', '2.29.1', ['8hfj']], ['moment', '2.29.4', []],
  ['node-fetch', '2.6.6', ['r683']], ['node-fetch', '2.6.7', ['r683']], ['node-fetch', '3.1.0', ['r683']], ['node-fetch', '3.1.1', []], ['node-fetch', '3.3.2', []],
  ['path-to-regexp', '0.1.7', ['9wv6']], ['path-to-regexp', '0.1.12', []], ['path-to-regexp', '1.8.0', ['9wv6']], ['path-to-regexp', '1.9.0', []],
  ['path-to-regexp', '3.2.0', ['9wv6']], ['path-to-regexp', '3.3.0', []], ['path-to-regexp', '6.2.1', ['9wv6']], ['path-to-regexp', '6.3.0', []],
  ['path-to-regexp', '7.0.0', ['9wv6']], ['path-to-regexp', '8.0.0', []],
  ['qs', '6.5.2', ['hrpp']], ['qs', '6.5.3', []], ['qs', '6.10.1', ['hrpp']], ['qs', '6.11.0', []], ['qs', '6.2.3', ['hrpp']], ['qs', '6.2.4', []],
  ['request', '2.88.2', ['p8p7']], ['@cypress/request', '2.88.11', ['p8p7']], ['@cypress/request', '2.88.12', []],
  ['semver', '7.5.1', ['c2qf']], ['semver', '7.5.4', []], ['semver', '5.7.1', ['c2qf']], ['semver', '5.7.2', []], ['semver', '6.3.0', ['c2qf']], ['semver', '6.3.1', []],
  ['serialize-javascript', '2.1.0', ['h9rv']], ['serialize-javascript', '2.1.1', []], ['serialize-javascript', '6.0.2', []],
  ['tar', '6.1.0', ['r628']], ['tar', '6.2.1', []], ['tar', '4.4.13', ['r628']], ['tar', '4.4.15', []], ['tar', '3.2.3', []],
  ['tough-cookie', '4.1.2', ['72xf']], ['tough-cookie', '4.1.3', []], ['tough-cookie', '2.5.0', ['72xf']],
  ['trim-newlines', '3.0.0', ['7p7h']], ['trim-newlines', '3.0.1', []], ['trim-newlines', '4.0.0', ['7p7h']], ['trim-newlines', '4.0.2', []],
  ['underscore', '1.12.0', ['cf4h']], ['underscore', '1.13.6', []], ['underscore', '1.13.0-1', []], ['underscore', '1.3.1', []],
  ['word-wrap', '1.2.3', ['j8xg']], ['word-wrap', '1.2.5', []],
  ['ws', '8.17.0', ['3h5v']], ['ws', '8.17.1', []], ['ws', '7.5.9', ['3h5v']], ['ws', '7.5.10', []], ['ws', '2.0.0', []],
  ['xmldom', '0.6.0', ['crh6']], ['@xmldom/xmldom', '0.8.3', ['crh6']], ['@xmldom/xmldom', '0.8.4', []], ['@xmldom/xmldom', '0.7.5', ['crh6']], ['@xmldom/xmldom', '0.7.7', []],
  ['@xmldom/xmldom', '0.9.0-beta.1', ['crh6']], ['@xmldom/xmldom', '0.9.0-beta.3', ['crh6']], ['@xmldom/xmldom', '0.9.0-beta.4', []],
  ['y18n', '4.0.0', ['c4w7']], ['y18n', '4.0.1', []], ['y18n', '4.0.3', []], ['y18n', '5.0.4', ['c4w7']], ['y18n', '5.0.8', []],
];

describe('real OSV records (test/fixtures/osv/npm)', () => {
  test('all 35 records load, and every npm package named in them is indexed', () => {
    assert.equal(db.records.length, 35);
    assert.ok(db.byPackage.has('@xmldom/xmldom'));
    assert.ok(!db.byPackage.has('Moment.js') && !db.byPackage.has('org.webjars:handlebars'), 'other ecosystems are not indexed');
  });

  for (const [name, version, ids] of PINS) {
    test(`${name}@${version} → ${ids.length === 0 ? 'safe' : ids.join(', ')}`, () => assert.deepEqual(matching(name, version), ids));
  }

  test('the withdrawn jsonwebtoken record matches nothing, though its range covers 8.5.1', () => {
    const withdrawn = db.records.find((r) => r.id === 'GHSA-27h2-hvpr-p74q');
    assert.ok(withdrawn?.withdrawn !== undefined);
    assert.equal(matchPackage(withdrawn, 'jsonwebtoken', '8.5.1'), false);
    assert.equal(matchPackage({ ...withdrawn, withdrawn: undefined }, 'jsonwebtoken', '8.5.1'), true, 'the range itself does cover 8.5.1');
  });

  test('Maven and NuGet entries inside npm advisories are ignored', () => {
    const handlebars = db.records.find((r) => r.id === 'GHSA-f2jv-r9rf-7988');
    const moment = db.records.find((r) => r.id === 'GHSA-8hfj-j24r-96c4');
    assert.ok(handlebars && moment);
    assert.equal(matchPackage(handlebars, 'org.webjars.npm:handlebars', '4.0.0'), false);
    assert.equal(matchPackage(moment, 'Moment.js', '2.0.0'), false);
  });

  test('the CVSS rating computed from each vector agrees with GitHub\'s label', () => {
    let compared = 0;
    for (const r of db.records) {
      const label = r.database_specific?.severity;
      const vector = r.severity?.find((s) => s.type === 'CVSS_V3')?.score;
      if (typeof label !== 'string' || vector === undefined) continue;
      const score = cvss3BaseScore(vector);
      assert.ok(typeof score !== 'string', `${r.id}: ${typeof score === 'string' ? score : ''}`);
      assert.equal(severityOfScore(score.score), label.toLowerCase(), `${r.id} ${vector} → ${score.score}`);
      compared++;
    }
    assert.equal(compared, 31);
  });

  test('audit of a v3 lockfile: findings with severity, score, fix and every path', () => {
    const lock = JSON.stringify({
      name: 'app',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0' },
        'node_modules/express': { version: '4.18.2' },
        'node_modules/jsonwebtoken': { version: '8.5.1' },
        'node_modules/lodash': { version: '4.17.21' },
        'node_modules/a/node_modules/lodash': { version: '4.17.20' },
        'node_modules/b/node_modules/lodash': { version: '4.17.20' },
        'node_modules/request': { version: '2.88.2', dev: true },
        'node_modules/ws': { version: '8.17.1' },
      },
    });
    const parsed = parseLockfile(lock, 'package-lock.json');
    assert.ok(parsed.ok);
    const r = auditLockfile(parsed.lockfile, db, { now: new Date('2026-01-01') });
    assert.ok(r.ok);
    assert.deepEqual(
      r.findings.map((f) => [f.severity, f.package, f.version, f.id, f.fixedIn ?? null, f.paths]),
      [
        ['high', 'lodash', '4.17.20', 'GHSA-35jh-r3h4-6jhm', '4.17.21', ['node_modules/a/node_modules/lodash', 'node_modules/b/node_modules/lodash']],
        ['moderate', 'express', '4.18.2', 'GHSA-rv95-896h-c2vc', '4.19.2', ['node_modules/express']],
        ['moderate', 'jsonwebtoken', '8.5.1', 'GHSA-8cf7-32gw-wr33', '9.0.0', ['node_modules/jsonwebtoken']],
        ['moderate', 'request', '2.88.2', 'GHSA-p8p7-x288-28g6', null, ['node_modules/request']],
      ],
    );
    const express = r.findings.find((f) => f.package === 'express');
    assert.equal(express?.score, 6.1);
    assert.deepEqual(express?.aliases, ['CVE-2024-29041']);
    assert.equal(r.packagesChecked, 7);
  });

  test('severity threshold, ignores by id and by alias, expired ignores', () => {
    const pkgs = [
      { name: 'lodash', version: '4.17.20', path: 'node_modules/lodash' },
      { name: 'express', version: '4.18.2', path: 'node_modules/express' },
      { name: 'minimist', version: '1.2.5', path: 'node_modules/minimist' },
      { name: 'debug', version: '4.1.1', path: 'node_modules/debug' },
    ];
    const now = new Date('2026-06-01T00:00:00Z');
    const r = auditLockfile(pkgs, db, {
      severity: 'high',
      now,
      ignore: [
        { id: 'GHSA-35jh-r3h4-6jhm', reason: 'template() is never called with user input', expires: '2026-12-31' },
        { id: 'CVE-2024-29041', reason: 'no redirects with user URLs', expires: '2026-12-31' },
        { id: 'GHSA-xvch-5gv4-984h', reason: 'was a dev tool only', expires: '2026-05-31' },
        { id: 'GHSA-0000-0000-0000', reason: 'stale', expires: '2027-01-01' },
      ],
    });
    assert.ok(r.ok);
    assert.deepEqual(r.findings.map((f) => f.id), ['GHSA-xvch-5gv4-984h'], 'the expired ignore no longer applies');
    assert.deepEqual(r.ignored.map((i) => i.finding.id).sort(), ['GHSA-35jh-r3h4-6jhm', 'GHSA-rv95-896h-c2vc']);
    assert.deepEqual(r.belowThreshold.map((f) => f.id), ['GHSA-gxpj-cx7g-858c']);
    assert.deepEqual(r.expiredIgnores.map((i) => i.id), ['GHSA-xvch-5gv4-984h']);
    assert.deepEqual(r.unusedIgnores.map((i) => i.id), ['GHSA-0000-0000-0000']);
    assert.ok(r.warnings.some((w) => /ignore for GHSA-xvch-5gv4-984h expired on 2026-05-31/.test(w)));
  });

  test('ignore entries without a reason or expiry are errors, and the audit does not run', () => {
    const r = auditLockfile([], db, { ignore: [{ id: 'GHSA-x', reason: ' ', expires: '2030-01-01' }, { id: 'GHSA-y', reason: 'r', expires: 'soon' }] });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.errors[0] ?? '', /ignore\[0\] \(GHSA-x\) has no reason/);
      assert.match(r.errors[1] ?? '', /ignore\[1\] \(GHSA-y\) needs "expires"/);
    }
  });

  test('a non-semver installed version is reported as a warning, not a crash', () => {
    const r = auditLockfile([{ name: 'lodash', version: 'github:lodash/lodash#abc', path: 'node_modules/lodash' }], db);
    assert.ok(r.ok);
    assert.equal(r.findings.length, 0);
    assert.ok(r.warnings.some((w) => /lodash@github:lodash\/lodash#abc is not a semver version/.test(w)));
  });

  test('auditTree: finds the lockfile, loads the database, audits; each failure is a value', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
    try {
      const none = await auditTree(root, osvDir);
      assert.equal(none.ok, false);
      if (!none.ok) assert.equal(none.reason, 'no-lockfile');
      writeFileSync(path.join(root, 'yarn.lock'), 'ws@^8.0.0:\n  version "8.17.0"\n');
      const r = await auditTree(root, osvDir, { severity: 'high' });
      assert.ok(r.ok);
      assert.equal(r.lockfile, 'yarn.lock');
      assert.deepEqual(r.findings.map((f) => `${f.package}@${f.version} ${f.id}`), ['ws@8.17.0 GHSA-3h5v-q93c-6h6q']);
      const noDb = await auditTree(root, path.join(root, 'osv'));
      assert.equal(!noDb.ok && noDb.reason, 'database');
      const badIgnore = await auditTree(root, osvDir, { ignore: [{ id: 'GHSA-3h5v-q93c-6h6q', reason: '', expires: '2030-01-01' }] });
      assert.equal(!badIgnore.ok && badIgnore.reason, 'bad-ignore');
      writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion": 3,');
      const bad = await auditTree(root, osvDir);
      assert.equal(!bad.ok && bad.reason, 'bad-lockfile');
      if (!bad.ok) assert.match(bad.message, /^package-lock\.json/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
