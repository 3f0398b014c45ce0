// `slipway server install`: the systemd unit of a server with many apps, slipway.service, written
// to /etc/systemd/system (or --output DIR, or printed with --dry-run). Nothing is enabled or
// started: the command prints the systemctl lines to run, and what to do first (the user, the
// home, bubblewrap) when it finds them missing.
//
// One unit, not one for the control plane and one for the proxy: the control plane starts the
// edge proxy and every instance's runtime shim itself, detached, and adopts them again after its
// own restart (adapters/proxy/client.ts ensureProxy, the shims' state files); the proxy replaces
// itself on `slipway proxy upgrade` with a process that is not systemd's child. So the unit runs
// the control plane with KillMode=process: a restart or an upgrade of the control plane stops
// that one process and leaves the proxy and the instances serving, in the unit's cgroup.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SlipwayError } from '../../core/errors.js';
import { VERSION } from '../../version.js';

export interface InstallOptions {
  /** The server's home (absolute). */
  home: string;
  /** The user the service runs as (`root` or an ordinary user). */
  user: string;
  /** `slipway server`'s own options after `--home DIR`: --listen and the TLS ones. */
  serverArgs: string[];
  /** The node binary and Slipway's entry point (absolute). */
  node: string;
  bin: string;
}

export interface Unit {
  name: string;
  text: string;
}

export const UNIT_NAME = 'slipway.service';
export const SYSTEM_UNITS = '/etc/systemd/system';

/** A user name as Debian's useradd accepts it by default (NAME_REGEX). */
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Why `user` cannot be the service's user, or undefined. */
export const userNameProblem = (user: string): string | undefined =>
  USER.test(user) ? undefined : `--user "${user.slice(0, 40)}" is not a user name: a lower-case letter or _, then lower-case letters, digits, _ and -, at most 32 in all`;

/** Refuses what a unit file cannot carry: a line break or another control character. */
const plain = (what: string, value: string): string => {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new SlipwayError('usage', `${what} has a control character or a line break in it, which a systemd unit cannot carry`, 'choose a path without one');
  return value;
};

/** Checks an absolute path given on the command line (a unit is read by systemd from /, not from here). */
export const absolutePath = (option: string, value: string): string => {
  plain(option, value);
  if (!isAbsolute(value)) throw new SlipwayError('usage', `${option} must be an absolute path in a systemd unit, not "${value.slice(0, 120)}"`, `e.g. ${option} ${resolve(value)}`);
  return resolve(value);
};

/**
 * One word of an Exec line, meaning only itself: `%` doubled (specifiers), `$` doubled (variables),
 * and double-quoted with `\` and `"` escaped when it holds anything but plain characters.
 */
export const execWord = (value: string): string => {
  const v = value.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
};

/** One assignment of Environment=: `%` doubled, quoted when it holds anything but plain characters (no `$` expansion there). */
const envWord = (value: string): string => {
  const v = value.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
};

/** One word of a shell command line printed for the user to run. */
export const shellWord = (value: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/** The directories systemd puts in a system service's PATH. */
const SYSTEMD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The unit's text (pure: what --dry-run prints and what is written). */
export const systemdUnit = (o: InstallOptions): Unit => {
  const problem = userNameProblem(o.user);
  if (problem) throw new SlipwayError('usage', problem, 'e.g. --user slipway (create it first: useradd --system --create-home --home-dir /var/lib/slipway slipway)');
  for (const [what, v] of [['--home', o.home], ['node', o.node], ['the Slipway entry point', o.bin], ...o.serverArgs.map((a) => ['an option', a])] as const) plain(what, v);
  const root = o.user === 'root';
  const nodeDir = dirname(o.node);
  const lines = [
    `# Written by \`slipway server install\` (Slipway ${VERSION}) for the server in ${o.home}.`,
    '# The control plane: the API and git endpoint, one engine per app. It starts the edge proxy and',
    "# each instance's runtime shim as processes of their own, in this unit's cgroup, and adopts",
    '# them again after its own restart: KillMode=process stops the control plane alone, so that',
    '# `systemctl restart slipway` (or an upgrade of Slipway) keeps every app serving.',
    '# `systemctl kill slipway` sends SIGTERM to all of them: everything stops. See docs/server.md.',
    '[Unit]',
    `Description=Slipway server (${o.home.replace(/%/g, '%%')})`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=exec',
    `User=${o.user}`,
    `ExecStart=${[o.node, o.bin, 'server', '--home', o.home, ...o.serverArgs].map(execWord).join(' ')}`,
    // Steps run npm and node by name: the directory of this node first when it is not a usual one.
    ...(SYSTEMD_PATH.includes(nodeDir) || nodeDir.includes(delimiter) ? [] : [`Environment=${envWord(`PATH=${[nodeDir, ...SYSTEMD_PATH].join(':')}`)}`]),
    'Restart=on-failure',
    'RestartSec=2s',
    'KillMode=process',
    'LimitNOFILE=65536',
    ...(root
      ? ['# As root, each step and instance runs as the sandbox uid 64000 inside bubblewrap (docs/security.md).']
      : [
          '# Steps and instances run in bubblewrap with user namespaces (docs/security.md). No capability',
          '# is given (AmbientCapabilities=): bubblewrap refuses to start with one, and the sandbox would',
          '# fall back to none. The edge proxy binds 80 and 443 once the kernel lets ordinary users do so',
          '# (net.ipv4.ip_unprivileged_port_start=80, docs/server.md), or run the service as root.',
        ]),
    '# Hardening that the sandbox allows. Not set, on purpose: RestrictNamespaces= and PrivateUsers=',
    '# (bubblewrap makes namespaces), ProtectKernelTunables=, ProtectProc= and ProcSubset= (bubblewrap',
    '# mounts a fresh /proc, refused over a /proc with hidden parts), MemoryDenyWriteExecute= (Node’s',
    '# JIT), PrivateTmp= (instances outlive a restart of the control plane) and UMask= (release files',
    '# must stay readable by the sandbox uid; Slipway makes its home private itself).',
    'NoNewPrivileges=yes',
    'ProtectSystem=full',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return { name: UNIT_NAME, text: lines.join('\n') };
};

/** Slipway's entry point, as this CLI was started (bin/slipway.js of this checkout). */
export const slipwayBin = (): string => fileURLToPath(new URL('../../../../bin/slipway.js', import.meta.url));

export type WriteState = 'new' | 'same' | 'replaced';

/**
 * Writes the unit into `dir`: refused when `dir` cannot be written (the default needs root), and
 * when a different file is there already unless `force`. An identical file is left as it is.
 */
export const writeUnit = (unit: Unit, dir: string, opts: { force: boolean; madeByDefault: boolean }): { file: string; state: WriteState } => {
  if (opts.madeByDefault && !existsSync(dir)) throw new SlipwayError('refused', `${dir} does not exist: systemd does not seem to be installed here`, 'write the unit elsewhere with --output DIR, or print it with --dry-run');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new SlipwayError('usage', `--output ${dir} is not a directory`, 'give a directory (made if missing)');
  if (!opts.madeByDefault) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new SlipwayError('refused', `cannot make ${dir}: ${(e as Error).message}`, 'give a directory you can write with --output DIR');
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new SlipwayError('refused', `cannot write to ${dir}${opts.madeByDefault ? ' (it needs root)' : ''}; nothing was written`, opts.madeByDefault ? 'run it as root (sudo slipway server install …), or write elsewhere with --output DIR, or print it with --dry-run' : 'give a directory you can write with --output DIR');
  }
  const file = join(dir, unit.name);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (before === unit.text) return { file, state: 'same' };
  if (before !== undefined && !opts.force) throw new SlipwayError('conflict', `${file} exists and differs from the unit this would write; nothing was written`, 'compare with --dry-run, then replace it with --force');
  writeFileSync(file, unit.text, { mode: 0o644 });
  return { file, state: before === undefined ? 'new' : 'replaced' };
};

/** The passwd entry of `user`: undefined when there is none, null when it cannot be told (no getent). */
const passwdOf = (user: string): { uid: number; dir: string } | undefined | null => {
  try {
    const line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const f = line.trim().split(':');
    return { uid: Number(f[2]), dir: f[5] ?? '' };
  } catch (e) {
    return (e as { status?: number }).status === 2 ? undefined : null;
  }
};

/** Whether `name` is an executable in PATH. */
const onPath = (name: string, path = process.env.PATH ?? ''): boolean =>
  path.split(delimiter).some((d) => {
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The lowest port an ordinary user may bind (1024 unless the kernel was told otherwise). */
const unprivilegedPortStart = (): number => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 1024;
  }
};

/**
 * What to do before the service can start, found on this machine: the user to create, the home to
 * make or give to that user, bubblewrap to install. Empty when all is in place.
 */
export const prerequisites = (home: string, user: string): string[] => {
  const steps: string[] = [];
  const pw = passwdOf(user);
  if (pw === undefined) steps.push(`useradd --system --create-home --home-dir /var/lib/${user} --shell /usr/sbin/nologin ${user}    # no user "${user}" here yet`);
  if (!existsSync(home)) steps.push(`install -d -m 0700 -o ${user} -g ${user} ${shellWord(home)}    # the server's home`);
  else if (pw && statSync(home).uid !== pw.uid) steps.push(`chown -R ${user}: ${shellWord(home)}    # the home belongs to another user; the server refuses it`);
  if (!onPath('bwrap')) steps.push(`apt-get install bubblewrap    # the sandbox of steps and apps${user === 'root' ? ' (as root without it: the sandbox uid only)' : ' (without it they run unconfined)'}`);
  if (!onPath('git')) steps.push('apt-get install git');
  if (user !== 'root' && unprivilegedPortStart() > 80) {
    steps.push("printf 'net.ipv4.ip_unprivileged_port_start=80\\n' > /etc/sysctl.d/60-slipway.conf && sysctl --system    # the edge proxy may bind 80 and 443 (as may any user)");
  }
  return steps;
};
