// Tests of the demo's edit of slipway.yaml: the security gates go at the end of the gates section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config/load.js';
import { withSecurityGates } from './demo-queue.js';

const YAML = ['app: demo', 'build:', '  artifact: [dist/]', '', 'gates:   # comment', '  test: { run: npm test }', '  lint:', '    run: npm run lint', 'run:', '  command: node x.js', ''].join('\n');

test('adds the secret scan and the audit as the last gates, keeping the file valid', () => {
  const out = withSecurityGates(YAML, '/opt/osv');
  const lines = out.split('\n');
  assert.match(lines[8] ?? '', /^ {2}secrets: \{ scan: true \}/);
  assert.match(lines[9] ?? '', /^ {2}deps: \{ audit: \{ database: \/opt\/osv \}, needs: \[\] \}/);
  assert.equal(lines[10], 'run:');
  const loaded = loadConfig('slipway.yaml', out);
  assert.deepEqual(loaded.errors, []);
  assert.deepEqual(loaded.config?.gates.map((g) => [g.name, g.kind]), [
    ['test', 'command'],
    ['lint', 'command'],
    ['secrets', 'secret-scan'],
    ['deps', 'dependency-audit'],
  ]);
});

test('a slipway.yaml without a gates section is a clear error', () => {
  assert.throws(() => withSecurityGates('app: demo\nbuild:\n  artifact: [x]\n', '/opt/osv'), /has no `gates:` section/);
});
