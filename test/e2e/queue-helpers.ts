// Fixtures of the merge-queue tests: an app whose pipeline has a command gate, the secret scan
// and the dependency audit (against the real OSV records), branches made in the working
// repository, and readers of the canonical repository and the queue through the real CLI.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, ROOT, TempRepo } from './harness.js';
import { waitFor } from '../../src/test-support/wait.js';

/** The real npm advisories of test/fixtures/osv (see its README). */
export const OSV_NPM = join(ROOT, 'test/fixtures/osv/npm');

export const lockfile = (deps: Record<string, string> = {}): string =>
  `${JSON.stringify(
    {
      name: 'queued-app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'queued-app', version: '1.0.0', dependencies: deps },
        ...Object.fromEntries(Object.entries(deps).map(([n, v]) => [`node_modules/${n}`, { version: v, resolved: `https://registry.npmjs.org/${n}/-/${n}-${v}.tgz` }])),
      },
    },
    null,
    2,
  )}\n`;

/**
 * The files that make a change hold the queue: the `check` gate of a tree that has `hold` waits
 * until the test opens the latch (openLatch), keeping that batch under test. The marker is a file
 * of the tested tree because a sandboxed step sees its work tree but not the repository's .git
 * (docs/security.md); once merged it stays in main, so a test closes the latch (closeLatch) only
 * right before it queues the change that must hold.
 */
export const HOLD: Record<string, string> = { hold: 'the check gate waits for the latch\n' };

/**
 * An app whose `check` gate fails when a file under src/ says BAD; when the tested tree has `hold`
 * (HOLD), first waits for the latch; and when `flaky` exists, fails its first attempt only.
 */
export const queuedApp = (opts: { yaml?: string[]; files?: Record<string, string> } = {}): TempRepo => {
  const repo = new TempRepo('slipway-queue-');
  // Outside /tmp and the repository, which the sandbox of a step hides (/var/tmp is seen read-only),
  // and readable by the sandbox's uid; removed with the repository.
  const latch = mkdtempSync('/var/tmp/slipway-latch-');
  chmodSync(latch, 0o755);
  repo.outside.push(latch);
  latches.set(repo, latch);
  repo.write({
    'slipway.yaml': [
      'app: queued-app',
      'build:',
      '  run: mkdir -p dist && cp -r src dist/',
      '  artifact: [dist/]',
      'gates:',
      '  check:',
      `    run: if [ -f hold ]; then for i in $(seq 600); do [ -f ${latch}/open ] && break; sleep 0.1; done; fi; if [ -f flaky ] && [ ! -f .attempted ]; then touch .attempted; echo flaked; exit 1; fi; ! grep -rqs BAD src`,
      '    retries: 1',
      '  secrets: { scan: true }',
      `  deps: { audit: { database: ${OSV_NPM} } }`,
      ...(opts.yaml ?? []),
      '',
    ].join('\n'),
    'src/app.txt': 'line one\nline two\nline three\n',
    'package-lock.json': lockfile(),
    ...opts.files,
  });
  repo.commit('the app');
  return repo;
};

const latches = new Map<TempRepo, string>();

/** Lets the runs of [hold] changes of this repository finish. */
export const openLatch = (repo: TempRepo): void => {
  const dir = latches.get(repo);
  if (dir) writeFileSync(join(dir, 'open'), '');
};

/** Makes the runs of [hold] changes wait again. */
export const closeLatch = (repo: TempRepo): void => {
  const dir = latches.get(repo);
  if (dir) rmSync(join(dir, 'open'), { force: true });
};

/** Makes `name` from main with the given files, and goes back to main. */
export const branch = (repo: TempRepo, name: string, files: Record<string, string>, message = `${name}: change`, from = 'main'): string => {
  git(repo.dir, 'checkout', '--quiet', '-b', name, from);
  repo.write(files);
  const sha = repo.commit(message);
  git(repo.dir, 'checkout', '--quiet', 'main');
  return sha;
};

export const canonical = (repo: TempRepo): string => join(repo.dir, '.slipway', 'repo.git');

/** main of the canonical repository (undefined when it has none). */
export const canonicalMain = (repo: TempRepo): string | undefined => {
  try {
    return git(canonical(repo), 'rev-parse', '--verify', '--quiet', 'refs/heads/main');
  } catch {
    return undefined;
  }
};

export interface ItemJson {
  item: { id: string; state: string; sha: string; branch: string; batchId?: string; runIds: string[]; mergedAs?: string; digest?: string; retries: { step: string; attempts: number; previous: string[] }[]; report?: { kind: string; step?: string; gateKind?: string; reason?: string; logs?: string; output?: string[]; message: string; files?: string[] } };
  batch?: { id: string; items: string[]; base?: string; tip: string; state: string };
  runs: { id: string; status: string; commit: string; digest?: string }[];
}

export const showItem = async (repo: TempRepo, id: string): Promise<ItemJson> => {
  const r = await repo.cli(['queue', id, '--json']);
  if (r.code !== 0) throw new Error(`slipway queue ${id} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ItemJson;
};

/** Polls an item until it reaches a final state. */
export const waitFinal = (repo: TempRepo, id: string, timeoutMs = 60_000): Promise<ItemJson> =>
  waitFor(
    async () => {
      const v = await showItem(repo, id);
      if (['merged', 'refused', 'conflict', 'canceled'].includes(v.item.state)) return v;
      throw new Error(`it is still ${v.item.state}`);
    },
    { what: `${id} to reach a final state`, timeout: timeoutMs, interval: 200 },
  );

/** A token-looking AWS key id, built here so that no credential sits in the source. */
export const fakeAwsKey = (): string => ['AKIA', 'ZQ3DN7XQ', '5TPLR2WK'].join('');
