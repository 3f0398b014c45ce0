import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildStatement, parseStatement, runtimeMismatch, runtimeOf, SLSA_PROVENANCE_V1, STATEMENT_TYPE, statementBytes, type StatementInput } from './provenance.js';

const input: StatementInput = {
  digest: `sha256:${'a'.repeat(64)}`,
  name: 'shop.tar',
  commit: '0123456789abcdef0123456789abcdef01234567',
  repo: 'file:///srv/shop',
  pipelineFileDigest: `sha256:${'b'.repeat(64)}`,
  builderId: 'https://slipway.dev/builder/local',
  invocationId: 'run-42',
  startedOn: '2024-05-01T10:00:00Z',
  finishedOn: new Date('2024-05-01T10:00:07.250Z'),
  inputs: [{ uri: 'package-lock.json', digest: `sha256:${'c'.repeat(64)}` }],
  externalParameters: { command: 'npm ci && npm run build', artifact: ['dist'], source: 'user cannot override' },
  internalParameters: { archive: 'tar', mtime: 0 },
};

void describe('buildStatement', () => {
  void test('an in-toto v1 statement with a SLSA v1 predicate', () => {
    const s = buildStatement(input);
    assert.equal(s._type, STATEMENT_TYPE);
    assert.equal(s.predicateType, SLSA_PROVENANCE_V1);
    assert.deepEqual(s.subject, [{ name: 'shop.tar', digest: { sha256: 'a'.repeat(64) } }]);
    const def = s.predicate.buildDefinition;
    assert.deepEqual(def.externalParameters.source, { repository: 'file:///srv/shop', commit: input.commit });
    assert.deepEqual(def.externalParameters.pipelineFile, { path: 'slipway.yaml', sha256: 'b'.repeat(64) });
    assert.equal(def.externalParameters.command, 'npm ci && npm run build');
    assert.deepEqual(def.internalParameters, { archive: 'tar', mtime: 0 });
    assert.deepEqual(def.resolvedDependencies, [
      { uri: 'git+file:///srv/shop', digest: { gitCommit: input.commit } },
      { uri: 'slipway.yaml', digest: { sha256: 'b'.repeat(64) } },
      { uri: 'package-lock.json', digest: { sha256: 'c'.repeat(64) } },
    ]);
    assert.deepEqual(s.predicate.runDetails, {
      builder: { id: 'https://slipway.dev/builder/local' },
      metadata: { invocationId: 'run-42', startedOn: '2024-05-01T10:00:00Z', finishedOn: '2024-05-01T10:00:07.250Z' },
      byproducts: [],
    });
  });

  void test('bytes are canonical: same input, same bytes; keys sorted', () => {
    const a = statementBytes(buildStatement(input));
    const b = statementBytes(buildStatement({ ...input, externalParameters: { artifact: ['dist'], source: 'x', command: 'npm ci && npm run build' } }));
    assert.deepEqual(a, b);
    assert.ok(a.toString().startsWith('{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":'));
    assert.deepEqual(JSON.parse(a.toString()), JSON.parse(JSON.stringify(buildStatement(input))));
  });

  void test('the Node version, platform and architecture of the build are recorded (native modules need them)', () => {
    const runtime = { node: 'v20.20.2', platform: 'linux', arch: 'x64' };
    const st = buildStatement({ ...input, runtime, internalParameters: { archive: { format: 'tar' } } });
    assert.deepEqual(st.predicate.buildDefinition.internalParameters, { archive: { format: 'tar' }, runtime });
    assert.equal(buildStatement(input).predicate.buildDefinition.internalParameters.runtime, undefined);
  });

  void test('a rebuild differs only in timings and invocation, never in subject', () => {
    const again = buildStatement({ ...input, invocationId: 'run-43', startedOn: '2024-05-02T10:00:00Z' });
    assert.deepEqual(again.subject, buildStatement(input).subject);
  });

  void test('malformed input throws naming the field', () => {
    assert.throws(() => buildStatement({ ...input, digest: 'sha256:abc' }), /digest must be sha256/);
    assert.throws(() => buildStatement({ ...input, pipelineFileDigest: 'nope' }), /pipelineFileDigest/);
    assert.throws(() => buildStatement({ ...input, commit: '' }), /commit must be a non-empty string/);
    assert.throws(() => buildStatement({ ...input, startedOn: 'yesterday' }), /startedOn must be an RFC 3339/);
    assert.throws(() => buildStatement({ ...input, finishedOn: new Date('x') }), /finishedOn is an invalid Date/);
    assert.throws(() => buildStatement({ ...input, inputs: [{ uri: 'x', digest: 'abc' }] }), /inputs\[0\]\.digest/);
  });
});

void describe('parseStatement', () => {
  const good = JSON.parse(statementBytes(buildStatement(input)).toString()) as Record<string, unknown>;
  void test('accepts what buildStatement makes', () => {
    assert.ok(parseStatement(good).ok);
  });
  void test('refuses malformed statements with a message', () => {
    const cases: [unknown, RegExp][] = [
      [7, /must be a JSON object/],
      [{ ...good, _type: 'x' }, /"_type"/],
      [{ ...good, predicateType: 'https://slsa.dev/provenance/v0.2' }, /"predicateType"/],
      [{ ...good, subject: [] }, /"subject" must be a non-empty array/],
      [{ ...good, subject: [{ name: 'a', digest: {} }] }, /subject\[0\] must have/],
      [{ ...good, subject: [{ name: 'a', digest: { sha256: 'xyz' } }] }, /64 hex/],
      [{ ...good, predicate: {} }, /buildDefinition and runDetails/],
      [{ ...good, predicate: { buildDefinition: { externalParameters: {}, resolvedDependencies: [] }, runDetails: {} } }, /buildType/],
      [{ ...good, predicate: { buildDefinition: { buildType: 'x', externalParameters: {}, resolvedDependencies: [] }, runDetails: { metadata: {} } } }, /builder\.id/],
    ];
    for (const [value, pattern] of cases) {
      const r = parseStatement(value);
      assert.equal(r.ok, false, JSON.stringify(value));
      if (!r.ok) assert.match(r.message, pattern);
    }
  });
});

void describe('runtimeMismatch', () => {
  const here = { node: 'v20.11.1', platform: 'linux', arch: 'x64' };
  void test('the same Node major, platform and architecture may be reused', () => {
    assert.equal(runtimeMismatch({ node: 'v20.19.0', platform: 'linux', arch: 'x64' }, here), null);
  });
  void test('another major, platform or architecture, or no record, is named', () => {
    assert.match(runtimeMismatch({ node: 'v18.19.0', platform: 'linux', arch: 'x64' }, here) ?? '', /built on Node v18\.19\.0 \(linux\/x64\) and this build runs Node v20\.11\.1/);
    assert.match(runtimeMismatch({ node: 'v20.11.1', platform: 'darwin', arch: 'x64' }, here) ?? '', /darwin\/x64/);
    assert.match(runtimeMismatch({ node: 'v20.11.1', platform: 'linux', arch: 'arm64' }, here) ?? '', /linux\/arm64/);
    assert.match(runtimeMismatch(null, here) ?? '', /records no Node version/);
  });
  void test('runtimeOf reads the recorded runtime back from a statement', () => {
    const s = buildStatement({ ...input, runtime: here });
    assert.deepEqual(runtimeOf(s), here);
    assert.equal(runtimeOf(buildStatement(input)), null);
  });
});
