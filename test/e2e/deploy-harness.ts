// Fixtures of the deployment tests: the example app with short verification windows, and helpers
// to read environment state through the real CLI.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TempRepo } from './harness.js';

/** The example app with windows short enough for tests; `extra` is appended to each environment. */
export const exampleRepo = (opts: { stagingPort?: number; productionPort?: number; window?: string } = {}): TempRepo => {
  const repo = TempRepo.fromExample();
  const window = opts.window ?? '1s';
  repo.write({
    'slipway.yaml': [
      'app: hello-service',
      'build:',
      '  run: npm ci && npm run build',
      '  artifact: [dist/, package.json, package-lock.json]',
      'gates:',
      '  test: { run: npm test }',
      'run:',
      '  command: node dist/server.js',
      '  health: { path: /healthz, start_timeout: 10s }',
      '  stop_grace: 2s',
      'environments:',
      '  staging:',
      ...(opts.stagingPort ? [`    port: ${opts.stagingPort}`] : []),
      '    strategy: blue-green',
      `    verify: { window: ${window} }`,
      '  production:',
      ...(opts.productionPort ? [`    port: ${opts.productionPort}`] : []),
      '    promote_from: staging',
      '    strategy: { canary: [10%, 50%, 100%], pause: 300ms }',
      `    verify: { window: ${window} }`,
      '',
    ].join('\n'),
  });
  repo.commit('short windows for tests');
  return repo;
};

export interface EnvStatus {
  env: string;
  url: string | null;
  port: number | null;
  current: { release: string; digest: string } | null;
  instances: { id: string; release: string; state: string; pid: number; port: number }[];
  routes: { release: string; weight: number }[];
}

export const envStatus = async (repo: TempRepo, env: string): Promise<EnvStatus> => {
  const r = await repo.cli(['status', '--json']);
  const s = JSON.parse(r.stdout) as { environments: EnvStatus[] };
  const e = s.environments.find((x) => x.env === env);
  if (!e) throw new Error(`no environment ${env} in status: ${r.stdout}`);
  return e;
};

export interface HistoryEntry {
  id: string;
  env: string;
  release: number;
  digest: string;
  commit: string;
  author: string;
  trigger: string;
  actor: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  reason: string | null;
  rolled_back_to: number | null;
  forced: boolean;
}

export const history = async (repo: TempRepo, env: string, n = 10): Promise<HistoryEntry[]> => JSON.parse((await repo.cli(['history', env, '--json', '-n', String(n)])).stdout) as HistoryEntry[];

export const get = async (url: string): Promise<{ status: number; body: string }> => {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
};

/** Pids of the runtime's shims, from their state files. */
export const shimPids = (home: string, ids: string[], env: string): number[] =>
  ids.map((id) => (JSON.parse(readFileSync(join(home, 'run', env, `${id}.json`), 'utf8')) as { shimPid: number }).shimPid);

/** Instance ids of the live processes (shims and apps) whose environment names `area`'s data directory. */
export const liveInstances = (area: string): Map<number, string> => {
  const found = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const vars = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (!vars.some((v) => v.startsWith(`SLIPWAY_DATA_DIR=${area}/`))) continue;
      const id = vars.find((v) => v.startsWith('SLIPWAY_INSTANCE='))?.slice('SLIPWAY_INSTANCE='.length);
      if (id !== undefined) found.set(Number(name), id);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
};
