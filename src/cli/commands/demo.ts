// `slipway demo`: the whole story on the bundled example app, in a scratch git repository, with
// the real CLI doing each step (so the demo is also a smoke test of the product). Work whose
// chapter comes later starts early where it does not change what an earlier chapter shows (a
// rebuild while a deployment is being verified), with its output held until its chapter; what
// the reader is not shown (URLs, the digest) is asked of the control plane directly.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '../../adapters/vcs/git/run.js';
import { SlipwayError } from '../../core/errors.js';
import type { RunRecord } from '../../core/run.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import { findServer } from '../client.js';
import type { CliContext } from '../context.js';
import { DEMO_CONFIG_NOTE, demoSlipwayYaml } from './demo-config.js';
import { queueDemo } from './demo-queue.js';
import { demoRunner, type DemoRunner } from './demo-runner.js';

export const spec: CommandSpec = {
  name: 'demo',
  usage: 'slipway demo [--dir DIR] [--keep]',
  options: {
    dir: { type: 'string', description: 'where to create the scratch repository (default: a new temporary directory)' },
    keep: { type: 'boolean', description: 'leave everything running at the end and print the dashboard’s address and a read-only token, to explore the demo’s deployments' },
  },
};

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin/slipway.js');
const EXAMPLE = join(ROOT, 'examples/hello-service');

const DEMO_AUTHOR = { GIT_AUTHOR_NAME: 'Demo Developer', GIT_AUTHOR_EMAIL: 'dev@demo.test', GIT_COMMITTER_NAME: 'Demo Developer', GIT_COMMITTER_EMAIL: 'dev@demo.test' };

/**
 * What `--keep` prints at the end: the dashboard's address (the control plane's base URL), a
 * read-only token made for looking at it, and how to stop everything. The lines `dashboard:` and
 * `read-only token:` are meant to be read by a script too.
 */
const keptMessage = async (o: { dir: string; home: string; slipway: DemoRunner['slipway'] }): Promise<string> => {
  const server = await findServer(o.home);
  if (!server) throw new SlipwayError('unavailable', 'the demo stopped: its control plane is not running', `see ${join(o.home, 'server.log')}`);
  const made = await o.slipway(['tokens', 'create', '--name', `demo-viewer-${randomBytes(3).toString('hex')}`, '--role', 'read', '--expires', '7d'], false);
  const token = made.out.trim();
  if (made.code !== 0 || !token.startsWith('slw_')) throw new SlipwayError('failed', 'the demo stopped: `slipway tokens create --role read` failed');
  return [
    'Everything is still running: the environments, the proxy and the control plane, with every deployment of the demo (the rolled-back ones too).',
    `  dashboard:        ${server.base}/`,
    `  read-only token:  ${token}   (sign in with it; it sees everything and may change nothing; expires in 7 days)`,
    `  explore:          cd ${o.dir} && node ${BIN} status`,
    `  the API:          curl -H "Authorization: Bearer ${token}" ${server.base}/v1/status`,
    `  stop it all:      cd ${o.dir} && node ${BIN} down && node ${BIN} server stop`,
    '',
  ].join('\n');
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const began = performance.now();
  const dir = stringOpt(values, 'dir') ?? mkdtempSync(join(tmpdir(), 'slipway-demo-'));
  const home = join(dir, '.slipway');
  // The demo's master key (step 11) sits beside the scratch repository: outside it and its home.
  const env = { ...ctx.env, ...DEMO_AUTHOR, SLIPWAY_HOME: home, SLIPWAY_MASTER_KEY_FILE: ctx.env.SLIPWAY_MASTER_KEY_FILE ?? `${dir}.master-key` };
  const bold = (s: string): string => (ctx.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
  const title = (s: string): void => ctx.out(`\n${bold(`━━ ${s}`)}\n`);
  const git = (...args: string[]): string => {
    const r = spawnSync('git', args, { cwd: dir, env: gitEnv(DEMO_AUTHOR, env), encoding: 'utf8' });
    if (r.status !== 0) throw new SlipwayError('failed', `git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const { start, slipway } = demoRunner({ bin: BIN, cwd: dir, env, out: ctx.out, err: ctx.err });
  const expect = async (p: Promise<{ code: number; out: string }>, args: string[], code = 0): Promise<string> => {
    const r = await p;
    if (r.code !== code) throw new SlipwayError('failed', `the demo stopped: \`slipway ${args.join(' ')}\` exited with ${r.code}${code === 0 ? '' : `, not ${code}`}`);
    return r.out;
  };
  const must = (args: string[]): Promise<string> => expect(slipway(args), args);
  /** Commands that only read: all start at once, and each is shown in turn. */
  const mustAll = async (...commands: string[][]): Promise<void> => {
    const started = commands.map((args) => ({ args, p: start(args) }));
    for (const { args, p } of started) await expect(p.show(), args);
  };
  /** The control plane the demo's first command started (never a new one: that would miss the demo's environment). */
  const api = async <T>(path: string): Promise<T> => {
    const c = await findServer(home);
    if (!c) throw new SlipwayError('unavailable', 'the demo stopped: its control plane is not running', `see ${join(home, 'server.log')}`);
    return c.request<T>('GET', path);
  };
  const url = async (name: string): Promise<string> => (await api<{ environments: { env: string; url: string | null }[] }>('/v1/status')).environments.find((e) => e.env === name)?.url ?? '';
  const curl = async (u: string): Promise<void> => ctx.out(`\n$ curl ${u}\n${await (await fetch(u)).text()}\n`);
  const app = join(dir, 'src/app.js');
  const edit = (from: string, to: string): void => {
    const text = readFileSync(app, 'utf8');
    if (!text.includes(from)) throw new SlipwayError('failed', `the demo stopped: examples/hello-service/src/app.js no longer has "${from}"`);
    writeFileSync(app, text.replace(from, to));
  };

  let finished = false;
  try {
    title('1. A scratch git repository with the example app (examples/hello-service)');
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('/dist') });
    writeFileSync(join(dir, 'slipway.yaml'), demoSlipwayYaml(readFileSync(join(dir, 'slipway.yaml'), 'utf8')));
    git('init', '--quiet', '--initial-branch=main');
    // The control plane starts (a quiet command starts it) while the first commit is made.
    const controlPlane = slipway(['runs', '--json'], false);
    git('add', '-A');
    git('commit', '--quiet', '-m', 'hello-service: first version');
    ctx.out(`${dir}\ncommit ${git('rev-parse', '--short', 'HEAD')}: ${git('log', '-1', '--format=%s')}\n(${DEMO_CONFIG_NOTE})\n`);

    await expect(controlPlane, ['runs', '--json']);

    title('2. Run the pipeline on that exact commit: build once, then the gates');
    await must(['run']);
    // The reproducible rebuild (chapter 5) works while staging's new release is being verified
    // (chapter 6), which mostly waits: both start now, and each shows its output in its chapter.
    const rebuild = start(['build', '--check-reproducible']);
    const stagingDeploy = start(['deploy', 'staging']);

    title('3. Building the same commit again reuses the artifact: no rebuild');
    await must(['build']);

    title('4. The artifact: content-addressed, signed provenance (in-toto / SLSA v1)');
    const digest = (await api<{ lastGreen?: RunRecord }>('/v1/status')).lastGreen?.digest;
    if (!digest) throw new SlipwayError('failed', 'the demo stopped: the run of chapter 2 left no artifact');
    await mustAll(['artifacts', 'ls'], ['artifacts', 'verify', digest]);

    title('5. Reproducible: a rebuild in a fresh checkout gives the same digest');
    await expect(rebuild.show(), ['build', '--check-reproducible']);

    title('6. Deploy to staging: new instances behind Slipway’s edge proxy, verified, then switched');
    await expect(stagingDeploy.show(), ['deploy', 'staging']);
    const staging = await url('staging');
    await curl(staging);

    title('7. Promote the same digest to production (canary 10% → 50% → 100%), no rebuild');
    const promoted = start(['promote', 'staging', 'production']);
    // The next chapter's change is committed now, and its pipeline runs while production's first
    // release is being verified.
    edit('const EDITION = 1;', 'const EDITION = 2;');
    git('commit', '--quiet', '-am', 'hello-service: second edition');
    const secondRun = start(['run']);
    await expect(promoted.show(), ['promote', 'staging', 'production']);
    const production = await url('production');
    await curl(production);

    title('8. A change: commit, gate and build it once, deploy to staging, promote with a canary');
    ctx.out(`\n$ git commit -am "hello-service: second edition"   # committed, and its run started, during the promotion above\n`);
    await expect(secondRun.show(), ['run']);
    await must(['deploy', 'staging']);
    const canaryTwo = start(['promote', 'staging', 'production']);
    const canaryShown = canaryTwo.show();
    // The next chapter's bad change is committed once the promotion has taken staging's digest, and
    // its pipeline runs during the canary.
    await canaryTwo.firstOutput;
    edit('const EDITION = 2;', 'const EDITION = 3;');
    edit('const DEFAULT_SLOW_MS = 0;', 'const DEFAULT_SLOW_MS = 700;');
    git('commit', '--quiet', '-am', 'hello-service: third edition (with a debug delay left in by mistake)');
    const thirdRun = start(['run']);
    await expect(canaryShown, ['promote', 'staging', 'production']);
    await curl(production);
    await must(['status']);

    title('9. A bad change never reaches production: staging’s verification catches it and rolls back');
    ctx.out(`\n$ git commit -am "hello-service: third edition (with a debug delay left in by mistake)"   # committed, and its run started, during the canary above\n`);
    await expect(thirdRun.show(), ['run']);
    const bad = await slipway(['deploy', 'staging']);
    if (bad.code !== 1) throw new SlipwayError('failed', `the demo expected staging to roll back the slow release, but deploy exited ${bad.code}`);
    await must(['history', 'staging', '-n', '3']);
    ctx.out(`\n(the slow digest is marked bad in staging; production still runs the second edition)\n`);
    // The developer takes the slow change back; main then builds the second edition's artifact again.
    git('revert', '--no-edit', 'HEAD');
    ctx.out(`\n$ git revert HEAD\n${git('log', '-1', '--format=%h %s')}\n`);

    title('10. A canary under live traffic: a bad config in production is caught at 10 % and rolled back');
    let stop = false;
    let served = 0;
    let failedAnswers = 0;
    const traffic = (async () => {
      while (!stop) {
        const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(production).then((r) => r.status, () => 0)));
        served += answers.length;
        failedAnswers += answers.filter((x) => x !== 200).length;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const canary = await slipway(['config', 'set', 'production', 'HELLO_FAIL_RATE=0.3']);
    stop = true;
    await traffic;
    if (canary.code === 0) throw new SlipwayError('failed', 'the demo expected the canary to catch the failing release');
    ctx.out(`\nlive traffic during the canary: ${served} requests, ${failedAnswers} failed (${((failedAnswers / Math.max(1, served)) * 100).toFixed(1)} %) — only the canary’s share, until the rollback\n`);
    ctx.out(`$ curl ${production}\n${await (await fetch(production)).text()}\n`);
    // The failed change is still the newest config version: take it back before the next deploy.
    await must(['config', 'unset', 'production', 'HELLO_FAIL_RATE', '--no-deploy']);

    const records = [['history', 'staging'], ['history', 'production'], ['runs'], ['events', 'verify']].map((args) => ({ args, p: start(args) }));
    title('11. Know your last deployments');
    for (const { args, p } of records.slice(0, 2)) await expect(p.show(), args);
    title('12. What happened, recorded: runs and the hash-chained event log');
    for (const { args, p } of records.slice(2)) await expect(p.show(), args);

    title('13. Config and secrets live in Slipway: each change is a release of the same digest, verified');
    // The next chapter's canonical repository is made while staging's new releases are verified.
    const remoteInit = start(['remote', 'init']);
    await must(['config', 'set', 'staging', 'GREETING=hello from slipway config']);
    const token = `demo-${randomBytes(12).toString('hex')}`;
    await expect(start(['secrets', 'set', 'staging', 'API_TOKEN'], token).show('printf %s "$API_TOKEN" | slipway secrets set staging API_TOKEN'), ['secrets', 'set', 'staging', 'API_TOKEN']);
    const greeting = fetch(staging).then((r) => r.text());
    await mustAll(['config', 'list', 'staging'], ['secrets', 'list', 'staging']);
    ctx.out(`\n$ curl ${staging}\n${await greeting}\n`);
    await must(['history', 'staging', '-n', '3']);

    await queueDemo({ dir, git, slipway, start, title, out: ctx.out }, 14, remoteInit);

    ctx.out(`\n${bold('Done.')} The scratch repository is ${dir}\n`);
    if (values.keep) ctx.out(await keptMessage({ dir, home, slipway }));
    else ctx.out(`The instances, the proxy and the control plane are stopped; \`slipway up\` in ${dir} brings them back (run the demo with --keep to leave them running, with the dashboard).\n`);
    finished = true;
  } finally {
    if (!values.keep) {
      await slipway(['down'], false);
      await slipway(['server', 'stop'], false);
    }
  }
  if (finished) ctx.out(`The demo took ${((performance.now() - began) / 1000).toFixed(1)} s.\n`);
  return 0;
};
