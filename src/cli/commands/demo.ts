// `slipway demo`: the whole story on the bundled example app, in a scratch git repository, with
// the real CLI doing each step (so the demo is also a smoke test of the product).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { queueDemo } from './demo-queue.js';

export const spec: CommandSpec = {
  name: 'demo',
  usage: 'slipway demo [--dir DIR] [--keep]',
  options: {
    dir: { type: 'string', description: 'where to create the scratch repository (default: a new temporary directory)' },
    keep: { type: 'boolean', description: 'leave the control plane running at the end, to explore' },
  },
};

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin/slipway.js');
const EXAMPLE = join(ROOT, 'examples/hello-service');

const gitEnv = { GIT_AUTHOR_NAME: 'Demo Developer', GIT_AUTHOR_EMAIL: 'dev@demo.test', GIT_COMMITTER_NAME: 'Demo Developer', GIT_COMMITTER_EMAIL: 'dev@demo.test' };

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const dir = stringOpt(values, 'dir') ?? mkdtempSync(join(tmpdir(), 'slipway-demo-'));
  // The demo's master key (step 11) sits beside the scratch repository: outside it and its home.
  const env = { ...ctx.env, ...gitEnv, SLIPWAY_HOME: join(dir, '.slipway'), SLIPWAY_MASTER_KEY_FILE: ctx.env.SLIPWAY_MASTER_KEY_FILE ?? `${dir}.master-key` };
  const bold = (s: string): string => (ctx.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
  const title = (s: string): void => ctx.out(`\n${bold(`━━ ${s}`)}\n`);
  const git = (...args: string[]): string => {
    const r = spawnSync('git', args, { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new SlipwayError('failed', `git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const slipway = (args: string[], show = true): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      if (show) ctx.out(`\n$ slipway ${args.join(' ')}\n`);
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (show) ctx.out(c.toString());
      });
      child.on('close', (code) => resolve({ code: code ?? 1, out }));
    });
  const must = async (args: string[]): Promise<string> => {
    const r = await slipway(args);
    if (r.code !== 0) throw new SlipwayError('failed', `the demo stopped: \`slipway ${args.join(' ')}\` exited with ${r.code}`);
    return r.out;
  };

  try {
    title('1. A scratch git repository with the example app (examples/hello-service)');
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('/dist') });
    git('init', '--quiet', '--initial-branch=main');
    git('add', '-A');
    git('commit', '--quiet', '-m', 'hello-service: first version');
    ctx.out(`${dir}\ncommit ${git('rev-parse', '--short', 'HEAD')}: ${git('log', '-1', '--format=%s')}\n`);

    title('2. Run the pipeline on that exact commit: build once, then the gates');
    await must(['run']);

    title('3. Building the same commit again reuses the artifact: no rebuild');
    await must(['build']);

    title('4. The artifact: content-addressed, signed provenance (in-toto / SLSA v1)');
    await must(['artifacts', 'ls']);
    const digest = (JSON.parse((await slipway(['build', '--json'], false)).out) as { digest: string }).digest;
    await must(['artifacts', 'verify', digest]);

    title('5. Reproducible: a rebuild in a fresh checkout gives the same digest');
    await must(['build', '--check-reproducible']);

    title('6. Deploy to staging: new instances behind Slipway’s edge proxy, verified, then switched');
    await must(['deploy', 'staging']);
    const url = async (env: string): Promise<string> => {
      const s = JSON.parse((await slipway(['status', '--json'], false)).out) as { environments: { env: string; url: string }[] };
      return s.environments.find((e) => e.env === env)?.url ?? '';
    };
    const staging = await url('staging');
    ctx.out(`\n$ curl ${staging}\n${await (await fetch(staging)).text()}\n`);

    title('7. Promote the same digest to production (canary 10% → 50% → 100%), no rebuild');
    await must(['promote', 'staging', 'production']);
    const production = await url('production');
    ctx.out(`\n$ curl ${production}\n${await (await fetch(production)).text()}\n`);

    title('8. A change: commit, gate and build it once, deploy to staging, promote with a canary');
    const app = join(dir, 'src/app.js');
    writeFileSync(app, readFileSync(app, 'utf8').replace('const EDITION = 1;', 'const EDITION = 2;'));
    git('commit', '--quiet', '-am', 'hello-service: second edition');
    await must(['run']);
    await must(['deploy', 'staging']);
    await must(['promote', 'staging', 'production']);
    ctx.out(`\n$ curl ${production}\n${await (await fetch(production)).text()}\n`);
    await must(['status']);

    title('9. A bad change never reaches production: staging’s verification catches it and rolls back');
    writeFileSync(app, readFileSync(app, 'utf8').replace('const EDITION = 2;', 'const EDITION = 3;').replace('const DEFAULT_SLOW_MS = 0;', 'const DEFAULT_SLOW_MS = 700;'));
    git('commit', '--quiet', '-am', 'hello-service: third edition (with a debug delay left in by mistake)');
    await must(['run']);
    const bad = await slipway(['deploy', 'staging']);
    if (bad.code !== 1) throw new SlipwayError('failed', `the demo expected staging to roll back the slow release, but deploy exited ${bad.code}`);
    await must(['history', 'staging', '-n', '3']);
    ctx.out(`\n(the slow digest is marked bad in staging; production still runs the second edition)\n`);

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

    title('11. Know your last deployments');
    await must(['history', 'staging']);
    await must(['history', 'production']);

    title('12. What happened, recorded: runs and the hash-chained event log');
    await must(['runs']);
    await must(['events', 'verify']);

    title('13. Config and secrets live in Slipway: each change is a release of the same digest, verified');
    await must(['config', 'set', 'staging', 'GREETING=hello from slipway config']);
    const token = `demo-${randomBytes(12).toString('hex')}`;
    ctx.out(`\n$ printf %s "$API_TOKEN" | slipway secrets set staging API_TOKEN\n`);
    const secret = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'secrets', 'set', 'staging', 'API_TOKEN'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdout.on('data', (c: Buffer) => ctx.out(c.toString()));
      child.on('close', (code) => resolve(code ?? 1));
      child.stdin.end(token);
    });
    if (secret !== 0) throw new SlipwayError('failed', `the demo stopped: \`slipway secrets set staging API_TOKEN\` exited with ${secret}`);
    await must(['config', 'list', 'staging']);
    await must(['secrets', 'list', 'staging']);
    ctx.out(`\n$ curl ${staging}\n${await (await fetch(staging)).text()}\n`);
    await must(['history', 'staging', '-n', '3']);

    await queueDemo({ dir, git, slipway, title, out: ctx.out }, 14);

    ctx.out(
      `\n${bold('Done.')} The scratch repository is ${dir}\n` +
        (values.keep
          ? `Everything is still running. Explore: cd ${dir} && node ${BIN} status   (stop it all: node ${BIN} down && node ${BIN} server stop)\n`
          : `The instances, the proxy and the control plane are stopped; \`slipway up\` in ${dir} brings them back (run the demo with --keep to leave them running).\n`),
    );
    return 0;
  } finally {
    if (!values.keep) {
      await slipway(['down'], false);
      await slipway(['server', 'stop'], false);
    }
  }
};
