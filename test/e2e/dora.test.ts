// Given a production environment with two changes deployed and the second rolled back by a
// person, when `slipway dora` is asked, then its four figures are the ones the recorded history
// and the commits' author times give (docs/dora.md), and bad windows or environments are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { git, TempRepo, type CliResult } from './harness.js';

const APP = `require('node:http').createServer((req, res) => res.end('ok ' + process.env.SLIPWAY_RELEASE)).listen(Number(process.env.PORT), '127.0.0.1');\n`;
const YAML = `app: measured
build:
  artifact: [app.js, version.txt]
run:
  command: node app.js
  health: { path: /, start_timeout: 5s }
  stop_grace: 1s
environments:
  production:
    verify: { window: 1s }
`;

interface Entry {
  id: string;
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string;
}
interface Figures {
  env: string;
  deploymentFrequency: { delivered: number; perDay: number };
  leadTime: { count: number; medianMs: number; p90Ms: number } | null;
  changeFailureRate: { failed: number; changes: number; rate: number } | null;
  timeToRestore: { count: number; medianMs: number; p90Ms: number } | null;
}

describe('slipway dora', () => {
  let repo: TempRepo;
  // The second change was begun two hours ago, in a commit before the one that is deployed.
  const begun = new Date(Date.now() - 2 * 3_600_000);
  begun.setMilliseconds(0);
  const ok = async (args: string[]): Promise<CliResult> => {
    const r = await repo.cli(args);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  // The harness fixes every commit's date (for reproducible builds): these choose their own.
  const commitAt = (files: Record<string, string>, message: string, date: Date): void => {
    repo.write(files);
    git(repo.dir, 'add', '-A');
    git(repo.dir, 'commit', '--quiet', '--date', date.toISOString(), '-m', message);
  };
  const minutesAfterBegun = (m: number): Date => new Date(begun.getTime() + m * 60_000);

  before(async () => {
    repo = new TempRepo('slipway-dora-');
    commitAt({ 'slipway.yaml': YAML, 'app.js': APP, 'version.txt': '1\n' }, 'the app', minutesAfterBegun(-24 * 60));
    await ok(['run']);
    await ok(['deploy', 'production']);
    commitAt({ 'version.txt': '2\n' }, 'begin the change', begun);
    commitAt({ 'version.txt': '2b\n' }, 'finish the change', minutesAfterBegun(30));
    await ok(['run']);
    await ok(['deploy', 'production']);
    await ok(['rollback', 'production']);
  });
  after(async () => {
    await repo.dispose();
  });

  test('the four figures of production follow from its history and the first commit of each change', async () => {
    const history = (JSON.parse((await ok(['history', 'production', '--json'])).stdout) as Entry[]).reverse();
    assert.deepEqual(history.map((h) => [h.trigger, h.status]), [['deploy', 'succeeded'], ['deploy', 'rolled_back'], ['rollback', 'succeeded']]);
    const [, second, rollback] = history as [Entry, Entry, Entry];
    const { environments } = JSON.parse((await ok(['dora', '--json'])).stdout) as { environments: Figures[] };
    assert.deepEqual(environments.map((e) => e.env), ['production']);
    const f = environments[0]!;
    // Both changes went live (the second was rolled back by hand afterwards).
    assert.equal(f.deploymentFrequency.delivered, 2);
    assert.equal(f.deploymentFrequency.perDay, Number((2 / 30).toFixed(3)));
    // The first change has no change before it to measure from; the second began two hours ago.
    const lead = Date.parse(second.finished_at) - begun.getTime();
    assert.deepEqual(f.leadTime, { count: 1, medianMs: lead, p90Ms: lead });
    assert.deepEqual(f.changeFailureRate, { failed: 1, changes: 2, rate: 0.5 });
    const restore = Date.parse(rollback.finished_at) - Date.parse(second.finished_at);
    assert.deepEqual(f.timeToRestore, { count: 1, medianMs: restore, p90Ms: restore });

    const text = (await ok(['dora', '--env', 'production'])).stdout;
    assert.match(text, /deployment frequency\s+2 live/);
    assert.match(text, /lead time for changes\s+median 2 h/);
    assert.match(text, /change failure rate\s+50 % \(1 of 2\)/);
    assert.match(text, /time to restore\s+median .* \(1 restore\)/);
  });

  test('a window that holds none of it counts nothing', async () => {
    const soon = new Date(Date.now() - 1000).toISOString();
    const { environments } = JSON.parse((await ok(['dora', '--json', '--since', soon])).stdout) as { environments: Figures[] };
    assert.equal(environments[0]?.deploymentFrequency.delivered, 0);
    assert.equal(environments[0]?.changeFailureRate, null);
  });

  test('a bad window, an unknown environment or a stray argument: a clear error, exit 2', async () => {
    for (const since of ['yesterday', '0d', '30', '2999-01-01', '30d&env=x']) {
      const r = await repo.cli(['dora', '--since', since]);
      assert.equal(r.code, 2, `${since}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /since must be a number of hours, days or weeks back/);
    }
    const unknown = await repo.cli(['dora', '--env', 'nowhere']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown environment "nowhere"/);
    const stray = await repo.cli(['dora', 'production']);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /dora/);
  });
});
