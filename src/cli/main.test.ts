// Given bad command lines of every command, then `main` prints one error with one
// `slipway COMMAND:` prefix and the next step, exits 2, and never reaches the repository, the
// Slipway home or the control plane. And each summary comes from the one command table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { helpText } from './args.js';
import { COMMANDS } from './command-table.js';
import type { CliContext } from './context.js';
import { main } from './main.js';

const sandbox = () => {
  const out: string[] = [];
  const err: string[] = [];
  const reached: string[] = [];
  const touch = (what: string) => (): Promise<never> => {
    reached.push(what);
    return Promise.reject(new Error(`${what} was reached`));
  };
  const ctx: CliContext = {
    cwd: '/nonexistent',
    env: {},
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    isTTY: false,
    repo: touch('repo'),
    home: touch('home'),
    client: touch('client'),
    remote: () => {
      reached.push('remote');
      throw new Error('remote was reached');
    },
    serverClient: () => {
      reached.push('serverClient');
      throw new Error('serverClient was reached');
    },
  };
  return { ctx, out: () => out.join(''), err: () => err.join(''), reached };
};

const count = (text: string, needle: string): number => text.split(needle).length - 1;

const refusedAsUsage = async (argv: string[]): Promise<string> => {
  const s = sandbox();
  const code = await main(argv, s.ctx);
  const name = argv[0] ?? '';
  assert.equal(code, 2, `${argv.join(' ')}: ${s.err()}`);
  assert.equal(count(s.err(), `slipway ${name}:`), 1, `one prefix in: ${s.err()}`);
  assert.ok(s.err().startsWith(`slipway ${name}: `), s.err());
  assert.match(s.err(), /\n {2}→ /, 'a next step is printed');
  assert.deepEqual(s.reached, [], `${argv.join(' ')} reached ${s.reached.join(', ')}`);
  return s.err();
};

describe('slipway COMMAND with bad arguments', () => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    test(`${name} --no-such-option: Slipway's message and the command's usage`, async () => {
      const err = await refusedAsUsage([name, '--no-such-option']);
      const { spec } = await entry.load();
      assert.equal(err.split('\n')[0], `slipway ${name}: unknown option --no-such-option`);
      assert.ok(err.includes(`usage: ${spec.usage}`), err);
    });
  }

  const forms: [string[], RegExp][] = [
    [['deploy'], /^slipway deploy: which environment\?/],
    [['rollback'], /^slipway rollback: which environment\?/],
    [['history'], /^slipway history: which environment\?/],
    [['logs'], /^slipway logs: which run\?/],
    [['merge'], /^slipway merge: which branch\?/],
    [['promote', 'staging'], /^slipway promote: FROM and TO are required/],
    [['config'], /^slipway config: set, unset, list or import\?/],
    [['config', 'set'], /^slipway config: which environment for `slipway config set`\?/],
    [['secrets'], /^slipway secrets: set, rm, list or rotate-key\?/],
    [['env', 'bogus'], /^slipway env: unknown subcommand "env bogus"/],
    [['proxy', 'bogus'], /^slipway proxy: unknown subcommand "bogus"/],
    [['proxy', '--admin-socket', 'proxy.sock'], /^slipway proxy: --admin-socket must be an absolute path, not "proxy\.sock"/],
    [['server', 'bogus'], /^slipway server: unknown subcommand "bogus"/],
    [['events', 'bogus'], /^slipway events: unknown subcommand "bogus"/],
    [['artifacts', 'ls', 'a', 'b'], /^slipway artifacts: unexpected argument "b"/],
    [['run', 'extra'], /^slipway run: unexpected argument "extra"/],
    [['run', '--ref'], /^slipway run: --ref needs a value/],
    [['deploy', 'staging', '--force=yes'], /^slipway deploy: --force takes no value/],
    [['runs', '-n', 'abc'], /^slipway runs: -n must be a whole number from 1 to 10000, not "abc"/],
    [['runs', '--n', 'abc'], /^slipway runs: --n must be a whole number/],
    [['history', 'staging', '-n', '0'], /^slipway history: -n must be a whole number/],
    [['events', '-n', 'x'], /^slipway events: -n must be a whole number/],
  ];
  for (const [argv, expected] of forms) {
    test(`${argv.join(' ')}: ${String(expected)}`, async () => {
      assert.match(await refusedAsUsage(argv), expected);
    });
  }
});

describe('slipway with an unknown command', () => {
  const cases: [string, string | undefined][] = [
    ['rnu', 'run'],
    ['deplyo', 'deploy'],
    ['stauts', 'status'],
    ['secret', 'secrets'],
    ['xyzzyplugh', undefined],
  ];
  for (const [typed, guess] of cases) {
    test(`${typed} → ${guess ?? 'no guess'}`, async () => {
      const s = sandbox();
      assert.equal(await main([typed], s.ctx), 2);
      assert.equal(s.err().split('\n')[0], `slipway: unknown command "${typed}"${guess ? ` — did you mean "${guess}"?` : ''}`);
      assert.match(s.err(), /slipway --help/);
      assert.deepEqual(s.reached, []);
    });
  }
});

describe('one summary per command', () => {
  test('the help list and each --help show the table’s summary', async () => {
    const list = sandbox();
    assert.equal(await main(['--help'], list.ctx), 0);
    for (const [name, entry] of Object.entries(COMMANDS)) {
      assert.ok(list.out().includes(`  ${name.padEnd(11)} ${entry.summary}\n`), name);
      const one = sandbox();
      assert.equal(await main([name, '--help'], one.ctx), 0);
      const { spec } = await entry.load();
      assert.equal(one.out(), `${helpText(spec, entry.summary)}\n`);
      assert.equal(one.out().split('\n')[0], `slipway ${name} — ${entry.summary}`);
      assert.equal('summary' in spec, false, `${name}'s spec carries no second summary`);
    }
  });
});
