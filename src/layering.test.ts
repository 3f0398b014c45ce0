// The layering of docs/architecture.md is enforced by eslint.config.js (`no-restricted-imports`
// per folder): this lints small files under made-up paths with the project's own config and
// checks that an import across the layers fails and one along them passes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// dist/src/layering.test.js → the repository root, where eslint.config.js is.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Only the import rule: the type-aware rules need files the TypeScript project knows, and these
// files exist only in memory.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

/** The messages of the layering rule for `code` as if it were the file `path` (relative to the root). */
async function layeringProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  assert.ok(result, `eslint linted ${path}`);
  return result.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

async function assertRefused(path: string, code: string): Promise<void> {
  const problems = await layeringProblems(path, code);
  assert.ok(problems.length > 0 && problems.every((p) => p.startsWith('no-restricted-imports: ')), `${path}: ${code}→ ${problems.join('\n') || 'no problem'}`);
}

describe('the layering lint', () => {
  test('the core importing an adapter fails', async () => {
    const problems = await layeringProblems('src/core/deployment/probe.ts', "import { readRef } from '../../adapters/vcs/git/canonical.js';\nexport const f = readRef;\n");
    assert.ok(problems.length > 0, 'the import is refused');
    assert.ok(problems.some((p) => /^no-restricted-imports: .*src\/core may import only src\/core/.test(p)), problems.join('\n'));
  });

  test('the core importing the config loader, a port or the engine fails, at any depth', async () => {
    for (const [path, from] of [
      ['src/core/probe.ts', '../config/load.js'],
      ['src/core/a/probe.ts', '../../ports/store.js'],
      ['src/core/a/b/probe.ts', '../../../engine/engine.js'],
      ['src/core/a/probe.ts', '../../index.js'],
    ] as const) {
      await assertRefused(path, `export * from '${from}';\n`);
    }
  });

  test('the core touching files or the network fails', async () => {
    await assertRefused('src/core/stats/probe.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n");
    await assertRefused('src/core/probe.ts', "import { connect } from 'net';\nexport const f = connect;\n");
  });

  test('the core importing itself passes, its own config folder included', async () => {
    const code = "import type { Strategy } from '../config/types.js';\nimport { SlipwayError } from '../errors.js';\nexport type S = Strategy;\nexport const E = SlipwayError;\n";
    assert.deepEqual(await layeringProblems('src/core/deployment/probe.ts', code), []);
  });

  test('config may import the core; ports only the core', async () => {
    assert.deepEqual(await layeringProblems('src/config/probe.ts', "export * from '../core/errors.js';\n"), []);
    await assertRefused('src/config/probe.ts', "export * from '../ports/store.js';\n");
    assert.deepEqual(await layeringProblems('src/ports/probe.ts', "export * from '../core/errors.js';\n"), []);
    await assertRefused('src/ports/probe.ts', "export * from '../config/load.js';\n");
    await assertRefused('src/ports/probe.ts', "export * from '../adapters/proxy/client.js';\n");
  });

  test('the engine reaches adapters, infrastructure and the machine only through ports', async () => {
    await assertRefused('src/engine/queue/probe.ts', "export * from '../../adapters/vcs/git/canonical.js';\n");
    await assertRefused('src/engine/probe.ts', "export * from '../gates/audit/index.js';\n");
    await assertRefused('src/engine/deploy/probe.ts', "export * from '../../secrets/master-key.js';\n");
    await assertRefused('src/engine/deploy/probe.ts', "import { rmSync } from 'node:fs';\nexport const f = rmSync;\n");
    await assertRefused('src/engine/deploy/probe.ts', "import { createServer } from 'node:net';\nexport const f = createServer;\n");
    await assertRefused('src/engine/run/probe.ts', "import { spawn } from 'child_process';\nexport const f = spawn;\n");
    const along = "import type { RepoHost } from '../../ports/repo-host.js';\nimport type { SlipwayConfig } from '../../config/types.js';\nimport { SlipwayError } from '../../core/errors.js';\nimport { isoNow } from '../context.js';\nexport type R = RepoHost | SlipwayConfig;\nexport const f = [SlipwayError, isoNow];\n";
    assert.deepEqual(await layeringProblems('src/engine/queue/probe.ts', along), []);
  });

  test('adapters never import the engine, the server or the CLI', async () => {
    await assertRefused('src/adapters/vcs/git/probe.ts', "export * from '../../../engine/context.js';\n");
    await assertRefused('src/secrets/probe.ts', "export * from '../server/compose.js';\n");
    assert.deepEqual(await layeringProblems('src/adapters/machine/probe.ts', "export * from '../../ports/machine.js';\nexport * from '../../home/paths.js';\n"), []);
  });

  test('server routes reach adapters only through the composition root', async () => {
    await assertRefused('src/server/routes-probe.ts', "export * from '../adapters/alerts/index.js';\n");
    await assertRefused('src/server/git-http.ts', "export * from '../adapters/vcs/git/canonical.js';\n");
    await assertRefused('src/server/server.ts', "export * from '../adapters/store/sqlite/store.js';\n");
    assert.deepEqual(await layeringProblems('src/server/daemon.ts', "export * from '../adapters/store/sqlite/store.js';\n"), []);
    assert.deepEqual(await layeringProblems('src/server/compose-probe.ts', "export * from '../adapters/alerts/index.js';\n"), []);
  });

  test('the dashboard (src/web) imports only itself, nothing of Node; nothing imports it', async () => {
    await assertRefused('src/web/probe.ts', "export * from '../core/errors.js';\n");
    await assertRefused('src/web/a/probe.ts', "export * from '../../server/routes.js';\n");
    await assertRefused('src/web/probe.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n");
    await assertRefused('src/web/probe.ts', "export * from '../index.js';\n");
    assert.deepEqual(await layeringProblems('src/web/probe.ts', "export * from './api.js';\n"), []);
    await assertRefused('src/server/routes-probe.ts', "export * from '../web/api.js';\n");
    await assertRefused('src/server/compose-probe.ts', "export * from '../web/api.js';\n");
    await assertRefused('src/cli/commands/probe.ts', "export * from '../../web/api.js';\n");
    await assertRefused('src/core/probe.ts', "export * from '../web/api.js';\n");
  });

  test('the CLI may import anything', async () => {
    assert.deepEqual(await layeringProblems('src/cli/commands/probe.ts', "export * from '../../adapters/proxy/client.js';\nexport * from '../../engine/engine.js';\n"), []);
  });
});
