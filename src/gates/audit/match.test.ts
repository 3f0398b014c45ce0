// OSV evaluation semantics on small hand-written records: each test pins one rule of the
// schema's evaluation pseudocode, and CVSS 3.x scoring on known vectors.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cvss3BaseScore, evaluateRecord, matchPackage, severityOf, type OsvEvent, type OsvRecord } from './index.js';
import { roundup31 } from './cvss.js';

const record = (events: OsvEvent[], extra: Partial<OsvRecord> = {}, type = 'SEMVER', versions?: string[]): OsvRecord => ({
  id: 'TEST-1',
  affected: [{ package: { ecosystem: 'npm', name: 'pkg' }, ranges: [{ type, events }], ...(versions ? { versions } : {}) }],
  ...extra,
});

describe('matchPackage (OSV evaluation)', () => {
  test('introduced "0" and fixed: everything before the fix', () => {
    const r = record([{ introduced: '0' }, { fixed: '1.0.2' }]);
    assert.equal(matchPackage(r, 'pkg', '0.0.1'), true);
    assert.equal(matchPackage(r, 'pkg', '1.0.1'), true);
    assert.equal(matchPackage(r, 'pkg', '1.0.2'), false);
    assert.equal(matchPackage(r, 'pkg', '2.0.0'), false);
  });

  test('no fix: every version from the introduction on', () => {
    const r = record([{ introduced: '2.0.0' }]);
    assert.equal(matchPackage(r, 'pkg', '1.9.9'), false);
    assert.equal(matchPackage(r, 'pkg', '99.0.0'), true);
  });

  test('last_affected is inclusive', () => {
    const r = record([{ introduced: '0' }, { last_affected: '2.1.214' }]);
    assert.equal(matchPackage(r, 'pkg', '2.1.214'), true);
    assert.equal(matchPackage(r, 'pkg', '2.1.215'), false);
  });

  test('several introduced/fixed pairs in one range, listed out of order', () => {
    const r = record([{ fixed: '3.2.5' }, { introduced: '1.0.0' }, { introduced: '3.0.0' }, { fixed: '1.0.2' }]);
    assert.deepEqual(
      ['0.9.0', '1.0.0', '1.0.1', '1.0.2', '2.5.0', '3.0.0', '3.2.4', '3.2.5'].map((v) => matchPackage(r, 'pkg', v)),
      [false, true, true, false, false, true, true, false],
    );
    assert.equal(evaluateRecord(r, 'pkg', '1.0.1').fixedIn, '1.0.2', 'the nearest fix above the installed version');
  });

  test('pre-releases are ordered by SemVer precedence, not excluded as semver.satisfies would', () => {
    const r = record([{ introduced: '5.0.0-alpha.1' }, { fixed: '5.0.0-beta.3' }]);
    assert.equal(matchPackage(r, 'pkg', '5.0.0-alpha.0'), false);
    assert.equal(matchPackage(r, 'pkg', '5.0.0-alpha.1'), true);
    assert.equal(matchPackage(r, 'pkg', '5.0.0-beta.2'), true);
    assert.equal(matchPackage(r, 'pkg', '5.0.0-beta.3'), false);
    assert.equal(matchPackage(r, 'pkg', '5.0.0'), false);
    const below = record([{ introduced: '0' }, { fixed: '2.0.0' }]);
    assert.equal(matchPackage(below, 'pkg', '2.0.0-rc.1'), true, 'a pre-release of the fixed version is still before it');
  });

  test('limit events bound the range; "*" is no limit', () => {
    const r = record([{ introduced: '1.0.0' }, { limit: '2.0.0' }]);
    assert.equal(matchPackage(r, 'pkg', '1.5.0'), true);
    assert.equal(matchPackage(r, 'pkg', '2.0.0'), false);
    assert.equal(matchPackage(record([{ introduced: '1.0.0' }, { limit: '*' }]), 'pkg', '9.0.0'), true);
  });

  test('the explicit versions list matches exactly, alone or next to ranges', () => {
    const r = record([{ introduced: '0' }, { fixed: '1.0.0' }], {}, 'SEMVER', ['3.1.4']);
    assert.equal(matchPackage(r, 'pkg', '3.1.4'), true);
    assert.equal(matchPackage(r, 'pkg', '3.1.5'), false);
    assert.equal(matchPackage(r, 'pkg', '0.5.0'), true);
  });

  test('ECOSYSTEM ranges evaluate like SEMVER for npm; GIT ranges are skipped', () => {
    assert.equal(matchPackage(record([{ introduced: '0' }, { fixed: '1.0.0' }], {}, 'ECOSYSTEM'), 'pkg', '0.9.0'), true);
    assert.equal(matchPackage(record([{ introduced: 'abc123' }], {}, 'GIT'), 'pkg', '0.9.0'), false);
  });

  test('only npm entries of the same name count; withdrawn records match nothing', () => {
    const r: OsvRecord = {
      id: 'TEST-2',
      affected: [
        { package: { ecosystem: 'PyPI', name: 'pkg' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
        { package: { ecosystem: 'npm', name: 'other' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] },
      ],
    };
    assert.equal(matchPackage(r, 'pkg', '1.0.0'), false);
    assert.equal(matchPackage(record([{ introduced: '0' }], { withdrawn: '2024-01-01T00:00:00Z' }), 'pkg', '1.0.0'), false);
  });

  test('short versions such as "1.0" are read leniently as 1.0.0', () => {
    assert.equal(matchPackage(record([{ introduced: '1.0' }, { fixed: '3.1.1' }]), 'pkg', '2.6.7'), true);
  });

  test('malformed events skip their range and say why', () => {
    const ev = evaluateRecord(record([{ introduced: 'not-a-version' }]), 'pkg', '1.0.0');
    assert.equal(ev.affected, false);
    assert.match(ev.problems[0] ?? '', /TEST-1: affected\[0\]\.ranges\[0\] skipped: introduced "not-a-version" is not a version/);
    assert.match(evaluateRecord(record([{ fixed: '1.0.0' }]), 'pkg', '0.1.0').problems[0] ?? '', /without an "introduced" event/);
    assert.match(evaluateRecord(record([{ introduced: '0', fixed: '1.0.0' }]), 'pkg', '0.1.0').problems[0] ?? '', /exactly one of/);
  });
});

describe('CVSS 3.x base score', () => {
  // Scores published by NVD / the CVSS v3.1 examples document for these vectors.
  const known: [string, number][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', 5.3],
    ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N', 8.2],
    ['CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H', 8.0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N/E:U/RL:O', 1.6],
  ];
  for (const [vector, score] of known) {
    test(`${vector} = ${score}`, () => assert.deepEqual(cvss3BaseScore(vector), { version: vector.slice(5, 8), score }));
  }

  test('3.1 Roundup does not turn floating-point noise into an extra tenth', () => {
    assert.equal(roundup31(4.000000000000001), 4.0);
    assert.equal(roundup31(4.02), 4.1);
    assert.equal(Math.ceil(4.000000000000001 * 10) / 10, 4.1, 'what the naive 3.0 formula gives');
  });

  const bad: [string, RegExp][] = [
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /not a CVSS 3\.x vector/],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /not a CVSS 3\.x vector/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', /missing base metric A/],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV:X is not a valid value/],
    ['CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV appears twice/],
    ['CVSS:3.1/AV:N/AC:L/PR/UI:N/S:U/C:H/I:H/A:H', /malformed metric "PR"/],
  ];
  for (const [vector, message] of bad) {
    test(`rejects ${vector}`, () => {
      const r = cvss3BaseScore(vector);
      assert.equal(typeof r, 'string');
      assert.match(typeof r === 'string' ? r : '', message);
    });
  }

  test('severity: the reviewed label first, else the CVSS rating, else unknown', () => {
    const v = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }];
    assert.deepEqual(severityOf({ id: 'a', severity: v, database_specific: { severity: 'MODERATE' } }), {
      severity: 'moderate',
      score: 7.5,
      vector: v[0]?.score,
      problems: [],
    });
    assert.equal(severityOf({ id: 'b', severity: v }).severity, 'high');
    assert.equal(severityOf({ id: 'c', severity: [] }).severity, 'unknown');
    const broken = severityOf({ id: 'd', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }] });
    assert.equal(broken.severity, 'unknown');
    assert.match(broken.problems[0] ?? '', /d: CVSS vector "CVSS:3\.1\/AV:N" ignored: missing base metric AC/);
  });
});
