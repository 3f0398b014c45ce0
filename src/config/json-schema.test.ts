// The editors' JSON Schema and the documented example: generated from the loader's own schema,
// loadable, and committed in the state the generator would write.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './json-schema.js';
import { EXAMPLE_CONFIG } from './example.js';
import { loadConfig } from './load.js';

type Node = Record<string, unknown> & { properties?: Record<string, Node>; additionalProperties?: Node };

void describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Node;

  void test('is strict and requires what the loader requires', () => {
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['app', 'build']);
    assert.deepEqual(schema.properties?.build?.required, ['artifact']);
  });

  void test('says a gate is exactly one of run, scan, audit', () => {
    const gates = schema.properties?.gates?.anyOf as Node[] | undefined; // a map, or empty (null)
    const gate = gates?.find((n) => n.type === 'object')?.additionalProperties;
    assert.deepEqual(gate?.oneOf, [{ required: ['run'] }, { required: ['scan'] }, { required: ['audit'] }]);
    assert.equal(gate?.gateKinds, undefined);
  });

  void test('carries defaults and descriptions, and no keyword of our own', () => {
    const text = JSON.stringify(schema);
    assert.doesNotMatch(text, /defaultFrom|gateKinds/);
    assert.equal(schema.properties?.pipeline?.properties?.timeout?.default, '15m');
    assert.match(String(schema.properties?.app?.description), /Name of the app/);
    assert.match(JSON.stringify(configJsonSchema({ docs: true })), /"defaultFrom":"pipeline.timeout"/);
  });

  void test('docs/slipway.schema.json is what the generator writes (run `npm run docs` after a schema change)', () => {
    const file = fileURLToPath(new URL('../../../docs/slipway.schema.json', import.meta.url));
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), schema);
  });
});

void describe('the documented example', () => {
  void test('loads with no error and no warning', () => {
    const { config, errors, warnings } = loadConfig('slipway.yaml', EXAMPLE_CONFIG, { now: new Date('2025-01-01T00:00:00Z') });
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      config?.gates.map((g) => g.kind),
      ['command', 'command', 'secret-scan', 'dependency-audit', 'bench'],
    );
    assert.deepEqual(config?.environments.map((e) => e.name), ['staging', 'production']);
  });
});
