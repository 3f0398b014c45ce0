// The merge-queue part of `slipway demo`: turn the security gates on through the queue (a good
// branch merges, main moves to the tested merge commit and `deploy: auto` environments receive
// its artifact), then a branch with a hard-coded credential and one adding a vulnerable dependency
// are refused with their reports, main unchanged.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGit } from '../../adapters/vcs/git/run.js';
import { loadConfig } from '../../config/load.js';
import { SlipwayError } from '../../core/errors.js';
import { findServer } from '../client.js';
import type { DemoRunner, Started } from './demo-runner.js';

/** The small offline OSV database bundled for the demo (real lodash advisories). */
const DEMO_OSV = fileURLToPath(new URL('../../../../examples/osv', import.meta.url));

export interface QueueDemoHelpers {
  /** The demo's scratch working repository (an app with a slipway.yaml, committed on main). */
  dir: string;
  /** Runs git in `dir` and returns its trimmed stdout; throws when git fails. */
  git: (...args: string[]) => string;
  /** Runs the CLI in `dir`; with `show`, echoes the command and its output. */
  slipway: DemoRunner['slipway'];
  /** Starts the CLI in `dir` now, holding its output until it is shown. */
  start: DemoRunner['start'];
  /** Prints a section title. */
  title: (text: string) => void;
  out: (text: string) => void;
}

const GATES = (osv: string): string[] => [
  '  secrets: { scan: true }                # hard-coded credentials, in the source and the artifact',
  `  deps: { audit: { database: ${osv} }, needs: [] }   # vulnerable dependencies (offline OSV records)`,
];

/** Adds the secret scan and the dependency audit under `gates:` of a slipway.yaml text. */
export const withSecurityGates = (yaml: string, osv: string): string => {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => /^gates:\s*(#.*)?$/.test(l));
  if (at < 0) throw new SlipwayError('config', 'the demo app’s slipway.yaml has no `gates:` section to add the security gates to');
  let end = at + 1;
  while (end < lines.length && /^\s+\S/.test(lines[end] ?? '')) end++;
  lines.splice(end, 0, ...GATES(osv));
  return lines.join('\n');
};

/**
 * Runs the merge-queue chapter of the demo in `h.dir`, numbering its sections from `first` (with
 * `remoteInit`, a `slipway remote init` already started);
 * returns the next free number. Throws (a SlipwayError) when something does not go as the demo
 * says it will: a bad branch merged, a good one refused, main moved when it should not.
 */
export const queueDemo = async (h: QueueDemoHelpers, first = 1, remoteInit?: Started): Promise<number> => {
  let n = first;
  const must = async (args: string[], expected = 0): Promise<string> => {
    const r = await h.slipway(args);
    if (r.code !== expected) throw new SlipwayError('failed', `the demo stopped: \`slipway ${args.join(' ')}\` exited with ${r.code}, not ${expected}`);
    return r.out;
  };
  const canonical = join(h.dir, '.slipway', 'repo.git');
  const mainOfQueue = (): string => h.git('--git-dir', canonical, 'rev-parse', '--short=12', 'main');
  /** Commits `edit` on a new branch off main and shows it (or returns what it would show). */
  const change = (name: string, message: string, edit: () => void, show = true): string => {
    h.git('checkout', '--quiet', '-b', name, 'main');
    edit();
    h.git('add', '-A');
    h.git('commit', '--quiet', '-m', message);
    h.git('checkout', '--quiet', 'main');
    const text = `\n$ git checkout -b ${name}   # ${message}\n${h.git('show', '--stat', '--format=', name)}\n`;
    if (show) h.out(text);
    return text;
  };
  const file = (p: string): string => readFileSync(join(h.dir, p), 'utf8');
  const write = (p: string, text: string): void => writeFileSync(join(h.dir, p), text);

  h.title(`${n++}. The canonical repository: main moves only through the merge queue`);
  // `remote init` may have been started earlier (the demo does, during its previous chapter).
  const init = await (remoteInit ?? h.start(['remote', 'init'])).show();
  if (init.code !== 0) throw new SlipwayError('failed', `the demo stopped: \`slipway remote init\` exited with ${init.code}`);
  change('hotfix', 'hotfix: straight to production', () => write('HOTFIX.md', 'pushed around the gates\n'));
  const pushed = await pushToMain(h);
  h.out(`\n$ git push .slipway/repo.git hotfix:main\n${pushed}\n`);

  h.title(`${n++}. A good change through the queue: turn on the secret scan and the dependency audit`);
  change('security-gates', 'gates: scan for credentials and audit dependencies', () => write('slipway.yaml', withSecurityGates(file('slipway.yaml'), DEMO_OSV)));
  await must(['merge', 'security-gates', '--wait']);
  h.out(`\n$ git log --oneline --graph -3 main   # in .slipway/repo.git\n${h.git('--git-dir', canonical, 'log', '--oneline', '--graph', '-3', 'main')}\n`);
  // The next chapter's branch is made on the new main and queued now: its gates run while staging
  // verifies the release that main's move started.
  h.git('pull', '--quiet', '--ff-only', canonical, 'main');
  const before = mainOfQueue();
  // Built from pieces so that no credential sits in Slipway's own source.
  const key = ['AKIA', 'ZQ3DN7XQ', '5TPLR2WK'].join('');
  const stat = change('add-storage', 'storage: talk to the bucket', () => write('src/storage.js', `// Uploads reports to the bucket.\nexport const credentials = { accessKeyId: '${key}' };\n`), false);
  const refused = h.start(['merge', 'add-storage', '--wait']);
  await waitForAutoDeploys(h, canonical);
  h.out(`\n$ git pull .slipway/repo.git main\n`);

  h.title(`${n++}. A branch with a hard-coded credential is refused by the secret scan`);
  h.out(stat);
  const r = await refused.show();
  if (r.code !== 1) throw new SlipwayError('failed', `the demo stopped: \`slipway merge add-storage --wait\` exited with ${r.code}, not 1`);

  h.title(`${n++}. A branch adding a vulnerable dependency is refused by the dependency audit`);
  change('add-lodash', 'deps: use lodash for deep merges', () => {
    const pkg = JSON.parse(file('package.json')) as Record<string, unknown>;
    write('package.json', `${JSON.stringify({ ...pkg, dependencies: { lodash: '4.17.11' } }, null, 2)}\n`);
    const lock = JSON.parse(file('package-lock.json')) as { packages: Record<string, Record<string, unknown>> };
    lock.packages[''] = { ...lock.packages[''], dependencies: { lodash: '4.17.11' } };
    lock.packages['node_modules/lodash'] = { version: '4.17.11', resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.11.tgz', license: 'MIT' };
    write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
  });
  await must(['merge', 'add-lodash', '--wait'], 1);

  h.title(`${n++}. main is unchanged: only the tested, green merge is there`);
  await must(['queue']);
  const after = mainOfQueue();
  if (after !== before) throw new SlipwayError('failed', `the demo stopped: main moved from ${before} to ${after} although both branches were refused`);
  h.out(`\nmain is still ${after}.\n`);
  return n;
};

/** Tries a direct push to main, which the canonical repository's hook refuses; returns git's words. */
const pushToMain = async (h: QueueDemoHelpers): Promise<string> => {
  const r = await runGit(['push', join(h.dir, '.slipway', 'repo.git'), 'hotfix:main'], { cwd: h.dir });
  if (r.code === 0) throw new SlipwayError('failed', 'the demo stopped: a direct push to main was accepted');
  return r.stderr.trim();
};

/** Waits for the deployments that `deploy: auto` starts for the new main, and shows them. */
const waitForAutoDeploys = async (h: QueueDemoHelpers, canonical: string): Promise<void> => {
  const main = h.git('--git-dir', canonical, 'rev-parse', 'main');
  const config = loadConfig('slipway.yaml', h.git('--git-dir', canonical, 'show', 'main:slipway.yaml')).config;
  const autos = (config?.environments ?? []).filter((e) => e.deploy === 'auto' && e.promoteFrom === undefined).map((e) => e.name);
  // Nothing is shown while waiting, so the control plane is asked directly rather than through a
  // CLI process per look.
  const client = await findServer(join(h.dir, '.slipway'));
  if (!client) throw new SlipwayError('unavailable', 'the demo stopped: its control plane is not running');
  let seen = 0;
  for (const env of autos) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { deployments } = await client.request<{ deployments: { commit: string; trigger: string; status: string }[] }>('GET', `/v1/deployments?env=${encodeURIComponent(env)}&limit=1`);
      const last = deployments[0];
      if (last?.commit === main && last.trigger === 'auto' && ['succeeded', 'failed', 'rolled_back', 'canceled'].includes(last.status)) break;
      // A deployment that could not start (a policy refused it) never shows up in the history.
      const { events } = await client.request<{ events: { seq: number; kind: string; data: { env?: string; commit?: string; reason?: string } }[] }>('GET', `/v1/events?after=${seen}&limit=1000`);
      seen = events.at(-1)?.seq ?? seen;
      const refused = events.find((e) => e.kind === 'queue.deploy_failed' && e.data.commit === main && (e.data.env === undefined || e.data.env === env));
      if (refused) throw new SlipwayError('failed', `the demo stopped: main moved but ${env} (deploy: auto) did not receive it: ${refused.data.reason ?? 'no reason recorded'}`);
      if (Date.now() > deadline) throw new SlipwayError('failed', `the demo stopped: ${env} (deploy: auto) did not finish deploying main ${main.slice(0, 12)} within 120 s`);
      await new Promise((res) => setTimeout(res, 250));
    }
    h.out(`\nmain moved, so ${env} (deploy: auto) received the artifact of the run that gated it:\n`);
    await h.slipway(['history', env, '-n', '2']);
  }
};
