// Rebuilding production on another machine, as a user would: the example app deployed to staging
// and production with a secret, a backup taken while both serve traffic (with the master key sealed
// under a passphrase), the old machine taken down, the backup restored into another home with its
// own key folder, `slipway up` — and then the same digests serve on the same environments, the app
// sees its secret, the history is the same, the event chain verifies, and the archive holds the
// secret in no readable form.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxDirOf } from '../../src/home/paths.js';
import { killLeftovers, minimalApp, TempRepo, type CliResult } from './harness.js';
import { exampleRepo, get } from './deploy-harness.js';

/** Each environment's secret GREETING, which the example app puts in its answers. */
const GREETING: Record<string, string> = { staging: `hi-${randomBytes(10).toString('hex')}`, production: `hey-${randomBytes(10).toString('hex')}` };
const PASSPHRASE = `pass-${randomBytes(12).toString('hex')}`;

interface Env {
  env: string;
  url: string | null;
  port: number | null;
  current: { release: string; digest: string } | null;
}

describe('backup, then restore on another machine', () => {
  let repo: TempRepo;
  /** The old machine's key folder (XDG_CONFIG_HOME) and the new machine's home and key folder. */
  let oldKeys: string;
  let newKeys: string;
  let newHome: string;
  let archive: string;
  const oldCli = (args: string[], input?: string): Promise<CliResult> => repo.cli(args, { input, env: { XDG_CONFIG_HOME: oldKeys } });
  const newCli = (args: string[], input?: string): Promise<CliResult> => repo.cli(args, { input, env: { XDG_CONFIG_HOME: newKeys, SLIPWAY_HOME: newHome } });
  const ok = async (r: Promise<CliResult>, what: string): Promise<CliResult> => {
    const done = await r;
    assert.equal(done.code, 0, `${what}:\n${done.stdout}\n${done.stderr}`);
    return done;
  };
  const envs = async (cli: typeof oldCli): Promise<Env[]> => (JSON.parse((await ok(cli(['status', '--json']), 'status')).stdout) as { environments: Env[] }).environments.map(({ env, url, port, current }) => ({ env, url, port, current }));
  /** The history of both environments, the runs and the merge queue, as the CLI prints them. */
  const histories = async (cli: typeof oldCli): Promise<unknown[]> =>
    Promise.all(
      [['history', 'staging'], ['history', 'production'], ['runs'], ['queue']].map(async (args) => {
        const out = JSON.parse((await ok(cli([...args, '--json']), args.join(' '))).stdout) as Record<string, unknown>;
        // The canonical repository is named by its path, which is the new home's.
        return args[0] === 'queue' ? { ...out, canonical: undefined } : out;
      }),
    );

  before(() => {
    delete process.env.SLIPWAY_MASTER_KEY;
    oldKeys = mkdtempSync(join(tmpdir(), 'slipway-keys-old-'));
    newKeys = mkdtempSync(join(tmpdir(), 'slipway-keys-new-'));
    const machine = mkdtempSync(join(tmpdir(), 'slipway-machine-'));
    newHome = join(machine, 'home');
    archive = join(machine, 'slipway.backup');
    repo = exampleRepo();
    repo.outside.push(oldKeys, newKeys, machine);
  });
  after(async () => {
    await newCli(['down']);
    await newCli(['server', 'stop']);
    killLeftovers(newHome);
    rmSync(sandboxDirOf(newHome), { recursive: true, force: true });
    await repo.dispose();
  });

  test('the same digests, config, secrets and history come back on another home', { timeout: 300_000 }, async () => {
    await ok(oldCli(['run']), 'run');
    await ok(oldCli(['deploy', 'staging']), 'deploy staging');
    await ok(oldCli(['secrets', 'set', 'staging', 'GREETING'], GREETING.staging), 'secrets set staging');
    await ok(oldCli(['promote', 'staging', 'production']), 'promote');
    await ok(oldCli(['secrets', 'set', 'production', 'GREETING'], GREETING.production), 'secrets set production');
    const before = await envs(oldCli);
    for (const e of before) {
      assert.ok(e.current, `${e.env} serves`);
      assert.match((await get(e.url ?? '')).body, new RegExp(`${GREETING[e.env] ?? '?'} from hello-service`), `${e.env} sees its secret`);
    }

    // The backup, while traffic flows to both environments.
    let failed = 0;
    let served = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        for (const e of before) {
          const r = await fetch(e.url ?? '').catch(() => null);
          if (r?.status === 200) served++;
          else failed++;
          await r?.text();
        }
      }
    })();
    const backup = await ok(oldCli(['backup', archive, '--include-master-key', '--json'], `${PASSPHRASE}\n`), 'backup');
    loading = false;
    await load;
    assert.equal(failed, 0, `requests failed during the backup (${served} served)`);
    assert.equal(statSync(archive).mode & 0o777, 0o600);
    const report = JSON.parse(backup.stdout) as { manifest: { counts: { environments: number; releases: number }; entries: { kind: string }[] } };
    assert.equal(report.manifest.counts.environments, 2);
    assert.ok(report.manifest.entries.some((e) => e.kind === 'master-key'));
    const verify = await ok(oldCli(['backup', 'verify', archive]), 'backup verify');
    assert.match(verify.stdout, /every entry matches its digest/);
    assert.match(verify.stdout, /master key: sealed with a passphrase/);

    // No secret value in the archive, in plain text, base64 or hex.
    const bytes = readFileSync(archive);
    for (const form of [...Object.values(GREETING).flatMap((g) => [g, Buffer.from(g).toString('base64'), Buffer.from(g).toString('hex')]), PASSPHRASE]) {
      assert.equal(bytes.includes(Buffer.from(form)), false, `the archive holds ${form.slice(0, 6)}… in clear`);
    }

    const historyBefore = await histories(oldCli);
    // The old machine goes away.
    await ok(oldCli(['down']), 'down');
    await ok(oldCli(['server', 'stop']), 'server stop');

    // Restore into another home, with the passphrase: the key file is written for the new home.
    const restored = await ok(newCli(['restore', archive, '--json'], `${PASSPHRASE}\n`), 'restore');
    const r = JSON.parse(restored.stdout) as { key: { source: string; keyFile: string } };
    assert.equal(r.key.source, 'backup');
    assert.ok(r.key.keyFile.startsWith(newKeys), r.key.keyFile);
    assert.equal(statSync(r.key.keyFile).mode & 0o777, 0o600);
    assert.ok(existsSync(join(newHome, 'slipway.db')));

    // A second restore into the now non-empty home is refused.
    const again = await newCli(['restore', archive], `${PASSPHRASE}\n`);
    assert.equal(again.code, 4, again.stderr);
    assert.match(again.stderr, /is not empty/);

    await ok(newCli(['up']), 'up');
    const after = await envs(newCli);
    assert.deepEqual(after, before, 'the same releases and digests on the same ports');
    for (const e of after) assert.match((await get(e.url ?? '')).body, new RegExp(`${GREETING[e.env] ?? '?'} from hello-service`), `${e.env} sees its secret after the restore`);
    assert.deepEqual(await histories(newCli), historyBefore);
    const chain = JSON.parse((await ok(newCli(['events', 'verify', '--json']), 'events verify')).stdout) as { ok: boolean };
    assert.equal(chain.ok, true);
  });
});

describe('backup and restore: bad input through the CLI, each refused with nothing written', () => {
  let repo: TempRepo;
  let keys: string;
  let dir: string;
  let good: string;
  const PASS = 'a long enough passphrase';
  const cli = (args: string[], opts: { input?: string; home?: string } = {}): Promise<CliResult> =>
    repo.cli(args, { input: opts.input ?? '', env: { XDG_CONFIG_HOME: keys, ...(opts.home ? { SLIPWAY_HOME: opts.home } : {}) } });
  const refused = async (args: string[], code: number, re: RegExp, opts: { input?: string; home?: string } = {}): Promise<void> => {
    const r = await cli(args, opts);
    assert.equal(r.code, code, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, re);
  };
  /** A copy of the good archive, changed by `edit`. */
  const damaged = (name: string, edit: (b: Buffer) => Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, edit(readFileSync(good)));
    return f;
  };
  let n = 0;
  const newHome = (): string => join(dir, `home-${++n}`);

  before(async () => {
    delete process.env.SLIPWAY_MASTER_KEY;
    keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    dir = mkdtempSync(join(tmpdir(), 'slipway-backups-'));
    repo = new TempRepo();
    repo.outside.push(keys, dir);
    repo.write(minimalApp()).commit('app');
    const set = await cli(['secrets', 'set', 'ci', 'NPM_TOKEN'], { input: 'npm-token-value' });
    assert.equal(set.code, 0, set.stderr);
    good = join(dir, 'good.backup');
    const b = await cli(['backup', good, '--include-master-key'], { input: `${PASS}\n` });
    assert.equal(b.code, 0, b.stderr);
  });
  after(() => repo.dispose());

  test('usage: no file, two files, verify without a file, a short passphrase', async () => {
    await refused(['backup'], 2, /which file/);
    await refused(['backup', 'a', 'b'], 2, /one FILE only/);
    await refused(['backup', 'verify'], 2, /which file/);
    await refused(['restore'], 2, /which backup file/);
    await refused(['backup', join(dir, 'short.backup'), '--include-master-key'], 2, /at least 12; nothing was written/, { input: 'short\n' });
    assert.equal(existsSync(join(dir, 'short.backup')), false);
  });

  test('a backup of a home that does not exist', async () => {
    await refused(['backup', join(dir, 'none.backup')], 2, /no Slipway home to back up/, { home: join(dir, 'no-such-home') });
  });

  test('a truncated archive', async () => {
    const f = damaged('cut.backup', (b) => b.subarray(0, Math.floor(b.length / 2)));
    await refused(['backup', 'verify', f], 4, /is damaged: .*truncated/);
    const home = newHome();
    await refused(['restore', f], 4, /is damaged: .*truncated.*nothing was restored/, { home, input: `${PASS}\n` });
    assert.equal(existsSync(home), false);
  });

  test('an altered entry, named', async () => {
    const f = damaged('altered.backup', (b) => {
      // The database entry: its SQLite header follows the manifest.
      const at = b.indexOf('SQLite format 3');
      b[at + 100] = (b[at + 100] as number) ^ 0xff;
      return b;
    });
    await refused(['backup', 'verify', f], 4, /entry "db\/slipway\.db" failed its digest/);
    const home = newHome();
    await refused(['restore', f], 4, /entry "db\/slipway\.db" failed its digest/, { home, input: `${PASS}\n` });
    assert.equal(existsSync(home), false);
  });

  test('an archive from a newer format version', async () => {
    const f = damaged('newer.backup', (b) => {
      const at = b.indexOf('"formatVersion": 1');
      b.write('"formatVersion": 7', at, 'latin1');
      return b;
    });
    await refused(['backup', 'verify', f], 4, /backup format 7 .* reads format 1 and older/);
    const home = newHome();
    await refused(['restore', f], 4, /backup format 7/, { home, input: `${PASS}\n` });
    assert.equal(existsSync(home), false);
  });

  test('a wrong passphrase, then a wrong master key', async () => {
    const home = newHome();
    await refused(['restore', good], 4, /wrong passphrase.*nothing was written/, { home, input: 'not the passphrase at all\n' });
    assert.equal(existsSync(home), false);
    const other = randomBytes(32).toString('base64');
    const r = await repo.cli(['restore', good], { env: { XDG_CONFIG_HOME: keys, SLIPWAY_HOME: home, SLIPWAY_MASTER_KEY: other } });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /holds the master key with key id [0-9a-f]{16}, but the secrets were encrypted with key id/);
    assert.equal(existsSync(home), false);
  });

  test('a home that is not empty', async () => {
    const home = newHome();
    mkdirSync(home);
    writeFileSync(join(home, 'notes.txt'), 'mine');
    await refused(['restore', good], 4, /is not empty \(it holds notes\.txt\).*nothing was written/, { home, input: `${PASS}\n` });
    assert.deepEqual(readdirSync(home), ['notes.txt']);
  });

  test('the good archive restores', async () => {
    const home = newHome();
    const r = await cli(['restore', good], { home, input: `${PASS}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /from the backup is now the key file/);
  });
});
