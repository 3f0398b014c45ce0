// `slipway server install`: the unit's text, how it quotes what it carries, how it is written, and
// the command line's bad forms (each refused with exit 2 and a next step, nothing written).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { main } from '../main.js';
import { execWord, shellWord, systemdUnit, userNameProblem, writeUnit, type InstallOptions } from './server-install.js';

const base: InstallOptions = { home: '/srv/slipway', user: 'slipway', serverArgs: ['--listen', '127.0.0.1:7400'], node: '/usr/bin/node', bin: '/opt/slipway/bin/slipway.js' };

const keys = (text: string, key: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe('server install: the unit', () => {
  test('an ordinary user: the control plane alone is stopped, no capability (bubblewrap refuses one), no namespace restriction', () => {
    const u = systemdUnit(base);
    assert.equal(u.name, 'slipway.service');
    assert.deepEqual(keys(u.text, 'ExecStart'), ['/usr/bin/node /opt/slipway/bin/slipway.js server --home /srv/slipway --listen 127.0.0.1:7400']);
    assert.deepEqual(keys(u.text, 'User'), ['slipway']);
    assert.deepEqual(keys(u.text, 'KillMode'), ['process']);
    assert.deepEqual(keys(u.text, 'AmbientCapabilities'), []);
    assert.deepEqual(keys(u.text, 'WantedBy'), ['multi-user.target']);
    // What would break the sandbox (bubblewrap's namespaces and fresh /proc, the sandbox uid's reads).
    for (const k of ['CapabilityBoundingSet', 'RestrictNamespaces', 'PrivateUsers', 'ProtectKernelTunables', 'ProtectProc', 'ProcSubset', 'MemoryDenyWriteExecute', 'PrivateTmp', 'UMask', 'ProtectHome']) {
      assert.deepEqual(keys(u.text, k), [], `${k} is not set`);
    }
    // /usr/bin is in systemd's own PATH: none is set.
    assert.deepEqual(keys(u.text, 'Environment'), []);
    assert.ok(u.text.endsWith('\n'));
  });

  test('root: no ambient capability (root has them), the sandbox uid said in a comment', () => {
    const u = systemdUnit({ ...base, user: 'root' });
    assert.deepEqual(keys(u.text, 'User'), ['root']);
    assert.deepEqual(keys(u.text, 'AmbientCapabilities'), []);
    assert.match(u.text, /sandbox uid 64000/);
  });

  test('a node outside systemd’s PATH: its directory first in PATH, so that steps find npm', () => {
    const u = systemdUnit({ ...base, node: '/opt/node-v20/bin/node' });
    assert.deepEqual(keys(u.text, 'Environment'), ['PATH=/opt/node-v20/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });

  test('paths with spaces, quotes, backslashes, % and $ mean only themselves', () => {
    const u = systemdUnit({ ...base, home: '/srv/a b/"q"\\%i$HOME' });
    assert.deepEqual(keys(u.text, 'ExecStart'), ['/usr/bin/node /opt/slipway/bin/slipway.js server --home "/srv/a b/\\"q\\"\\\\%%i$$HOME" --listen 127.0.0.1:7400']);
    assert.deepEqual(keys(u.text, 'Description'), ['Slipway server (/srv/a b/"q"\\%%i$HOME)']);
    assert.equal(execWord('plain/path-1.2:3'), 'plain/path-1.2:3');
    assert.equal(execWord('a%b'), 'a%%b');
    assert.equal(shellWord("it's here"), `'it'\\''s here'`);
    assert.equal(shellWord('/srv/slipway'), '/srv/slipway');
  });

  test('a line break or control character in a path or option is refused', () => {
    for (const o of [{ home: '/srv/a\nExecStartPre=/bin/sh' }, { home: '/srv/\u0000' }, { serverArgs: ['--tls-names', 'a\rb'] }, { bin: '/opt/\tx' }]) {
      assert.throws(() => systemdUnit({ ...base, ...o }), (e: unknown) => e instanceof SlipwayError && e.code === 'usage' && /control character or a line break/.test(e.message));
    }
  });

  test('user names: what useradd takes, and nothing else', () => {
    for (const ok of ['slipway', 'root', '_svc', 'a-b_c9', 'x'.repeat(32)]) assert.equal(userNameProblem(ok), undefined, ok);
    for (const bad of ['', 'Slipway', '9lives', '-x', 'a b', 'a;b', 'a:b', 'x'.repeat(33), 'ü', 'a\nb', '../x']) {
      assert.match(userNameProblem(bad) ?? '', /is not a user name/, JSON.stringify(bad));
      assert.throws(() => systemdUnit({ ...base, user: bad }), /is not a user name/);
    }
  });
});

describe('server install: writing the unit', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'slipway-install-unit-'));

  test('new, then the same (left alone), then a different one refused without --force and replaced with it', () => {
    const d = dir();
    try {
      const a = systemdUnit(base);
      assert.deepEqual(writeUnit(a, d, { force: false, madeByDefault: false }), { file: join(d, 'slipway.service'), state: 'new' });
      assert.equal(writeUnit(a, d, { force: false, madeByDefault: false }).state, 'same');
      const b = systemdUnit({ ...base, user: 'root' });
      assert.throws(() => writeUnit(b, d, { force: false, madeByDefault: false }), (e: unknown) => e instanceof SlipwayError && e.code === 'conflict' && /exists and differs/.test(e.message) && /--force/.test(e.hint ?? ''));
      assert.equal(readFileSync(join(d, 'slipway.service'), 'utf8'), a.text, 'unchanged');
      assert.equal(writeUnit(b, d, { force: true, madeByDefault: false }).state, 'replaced');
      assert.equal(readFileSync(join(d, 'slipway.service'), 'utf8'), b.text);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('an --output that is a file, and a default directory that does not exist, are refused', () => {
    const d = dir();
    try {
      writeFileSync(join(d, 'f'), '');
      assert.throws(() => writeUnit(systemdUnit(base), join(d, 'f'), { force: false, madeByDefault: false }), /is not a directory/);
      assert.throws(() => writeUnit(systemdUnit(base), join(d, 'no-systemd'), { force: false, madeByDefault: true }), (e: unknown) => e instanceof SlipwayError && e.code === 'refused' && /does not exist: systemd does not seem to be installed/.test(e.message));
      assert.equal(existsSync(join(d, 'no-systemd')), false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

/** A context that fails the test if the command reaches a repository, a home or a server. */
const context = (): { ctx: CliContext; out: () => string; err: () => string } => {
  const out: string[] = [];
  const err: string[] = [];
  const never = (what: string) => (): never => {
    throw new Error(`${what} was reached`);
  };
  const ctx: CliContext = {
    cwd: tmpdir(),
    env: {},
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    isTTY: false,
    repo: never('repo'),
    home: never('home'),
    client: never('client'),
    remote: never('remote'),
    serverClient: never('serverClient'),
  };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
};

describe('slipway server install: the command line', () => {
  test('--dry-run prints the unit and writes nothing; --json gives it as data', async () => {
    const c = context();
    assert.equal(await main(['server', 'install', '--home', '/srv/slipway', '--dry-run'], c.ctx), 0, c.err());
    assert.match(c.out(), /^# \/etc\/systemd\/system\/slipway\.service\n# Written by `slipway server install`/);
    assert.match(c.out(), /\nExecStart=\S+ \S+slipway\.js server --home \/srv\/slipway --listen 127\.0\.0\.1:7400\n/);
    const j = context();
    assert.equal(await main(['server', 'install', '--home', '/srv/slipway', '--listen', '0.0.0.0:7400', '--tls-self-signed', '--tls-names', 'box.example.com', '--user', 'root', '--dry-run', '--json'], j.ctx), 0, j.err());
    const { unit } = JSON.parse(j.out()) as { unit: { name: string; text: string } };
    assert.equal(unit.name, 'slipway.service');
    assert.match(unit.text, /--listen 0\.0\.0\.0:7400 --tls-self-signed --tls-names box\.example\.com\n/);
  });

  test('--output DIR writes there and prints the systemctl lines, enabling and starting nothing', async () => {
    const d = mkdtempSync(join(tmpdir(), 'slipway-install-cli-'));
    try {
      const c = context();
      assert.equal(await main(['server', 'install', '--home', join(d, 'home'), '--output', join(d, 'units')], c.ctx), 0, c.err());
      assert.ok(existsSync(join(d, 'units', 'slipway.service')));
      assert.match(c.out(), /^wrote .*slipway\.service\n/);
      assert.match(c.out(), /nothing was enabled or started; as root:\n {2}cp .*slipway\.service \/etc\/systemd\/system\/\n {2}systemctl daemon-reload\n {2}systemctl enable --now slipway\.service\n/);
      assert.match(c.out(), /install -d -m 0700 -o slipway -g slipway .*home/, 'the missing home is made first');
      // Ports 80 and 443 for an ordinary user: the sysctl line whenever the kernel's value is above 80.
      const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
      assert.equal(c.out().includes('net.ipv4.ip_unprivileged_port_start=80'), start > 80, `the kernel's value is ${start}`);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  const bad: [string[], RegExp][] = [
    [['--dry-run'], /install needs the server’s home/],
    [['--home', 'srv/slipway', '--dry-run'], /--home must be an absolute path in a systemd unit, not "srv\/slipway"/],
    [['--home', '/srv/a\nb', '--dry-run'], /--home has a control character or a line break/],
    [['--home', '/srv/s', '--user', 'Bad User', '--dry-run'], /--user "Bad User" is not a user name/],
    [['--home', '/srv/s', '--user', '', '--dry-run'], /--user "" is not a user name/],
    [['--home', '/srv/s', '--dry-run', '--output', '/tmp/x'], /give --dry-run or --output DIR, not both/],
    [['--home', '/srv/s', '--output', ''], /--output needs a directory/],
    [['--home', '/srv/s', '--port', '7400', '--dry-run'], /--listen ADDR:PORT, not --port/],
    [['--home', '/srv/s', '--foreground', '--dry-run'], /--foreground is for running the server/],
    [['--home', '/srv/s', '--bogus'], /unknown option --bogus/],
    [['--home', '/srv/s', '--listen', 'nowhere', '--dry-run'], /--listen must be ADDR:PORT/],
    [['--home', '/srv/s', '--listen', '0.0.0.0:7400', '--dry-run'], /a non-loopback address is served over TLS only/],
    [['--home', '/srv/s', '--tls-cert', '/etc/c.pem', '--dry-run'], /--tls-cert and --tls-key go together/],
    [['--home', '/srv/s', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--dry-run'], /--tls-cert must be an absolute path/],
    [['--home', '/srv/s', '--tls-cert', '/c.pem', '--tls-key', '/k.pem', '--tls-self-signed', '--dry-run'], /either --tls-cert\/--tls-key or --tls-self-signed/],
    [['--home', '/srv/s', '--tls-names', 'a.example', '--dry-run'], /--tls-names is for --tls-self-signed/],
    [['--home', '/srv/s', '--tls-self-signed', '--tls-names', 'bad name!', '--dry-run'], /bad name!/],
    [['--home', '/srv/s', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [argv, expected] of bad) {
    test(`server install ${JSON.stringify(argv)}: exit 2, ${String(expected)}`, async () => {
      const c = context();
      assert.equal(await main(['server', 'install', ...argv], c.ctx), 2, c.err());
      assert.match(c.err(), expected);
      assert.match(c.err(), /\n {2}→ /, 'a next step is printed');
      assert.equal(c.out(), '', 'nothing printed as output');
    });
  }

  test('--user, --output, --dry-run and --force go with install only', async () => {
    for (const o of [['--user', 'x'], ['--output', '/tmp/x'], ['--dry-run'], ['--force']]) {
      const c = context();
      assert.equal(await main(['server', 'status', '--home', '/srv/s', ...o], c.ctx), 2);
      assert.match(c.err(), new RegExp(`${o[0]} goes with \`slipway server install\``));
    }
  });
});

describe('SLIPWAY_HOME outside a repository', () => {
  test('names the home outright (an app of a server, on the server): no repository is looked for', async () => {
    const { createCliContext } = await import('../context.js');
    assert.equal(await createCliContext('/nonexistent', { SLIPWAY_HOME: '/srv/slipway/apps/shop' }).home(), '/srv/slipway/apps/shop');
  });
});
