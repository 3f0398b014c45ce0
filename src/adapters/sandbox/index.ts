// The sandbox adapter: picks how steps and apps are confined on this machine and builds the
// command for each (./args.ts). Root gets bubblewrap plus a dedicated unprivileged uid (or the uid
// alone when bubblewrap cannot run); an ordinary user gets bubblewrap in a user namespace; when
// neither works the code runs unconfined and `warning` says so, loudly, wherever it is recorded.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import { lchown, lstat, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { SANDBOX_MODES, type Confined, type ConfineSpec, type Sandbox, type SandboxMode } from '../../ports/sandbox.js';
import { confineArgs, isWithin, type ConfinePlan, type SandboxTools } from './args.js';

export { confineArgs, isWithin } from './args.js';

/**
 * The sandbox uid and gid when Slipway runs as root: a fixed high id with no passwd entry, so that
 * nothing else on the machine owns files as it (see docs/security.md).
 */
export const SANDBOX_UID = 64000;
export const SANDBOX_GID = 64000;

/** SLIPWAY_SANDBOX: `auto` (default) or one mode, to force it (`none` turns confinement off). */
export const SANDBOX_VAR = 'SLIPWAY_SANDBOX';

export interface SandboxOptions {
  /** Where work trees, releases, data and temporary directories go (outside the home). */
  dir: string;
  /** Directories confined code must not see: the home, the master key's directory. */
  hideDirs: readonly string[];
  /** Files it must not see: the master key file. */
  hideFiles: readonly string[];
  /** `auto` or a mode; default auto. */
  mode?: string;
}

const isRoot = (): boolean => process.getuid?.() === 0;

const probed = new Map<SandboxMode, string | null>();

let tools: SandboxTools | undefined;

/** System directories: the sandbox user reaches them, inside bubblewrap too. */
const SYSTEM_DIRS = /^\/(usr\/(local\/)?)?s?bin$/;

/**
 * `env`, `bwrap` and `setpriv` by their paths, found once in PATH's system directories: spawned by
 * name, each step's start tried every directory of PATH before theirs, three times per step. A tool
 * not found there keeps its name, so that it is looked up as before.
 */
export function sandboxTools(): SandboxTools {
  if (tools !== undefined) return tools;
  const find = (name: string): string => {
    for (const d of (process.env.PATH ?? '').split(':')) {
      if (!SYSTEM_DIRS.test(d)) continue;
      const f = join(d, name);
      try {
        accessSync(f, constants.X_OK);
        if (statSync(f).isFile()) return f;
      } catch {
        // not here
      }
    }
    return name;
  };
  tools = { env: find('env'), bwrap: find('bwrap'), setpriv: find('setpriv') };
  return tools;
}

/** Runs `true` in the mode; null when it works, else why not (bubblewrap's own words). */
export function probeMode(mode: SandboxMode): string | null {
  const known = probed.get(mode);
  if (known !== undefined) return known;
  const c = confineArgs({ mode, command: 'true', cwd: '/', writable: [], readOnly: [], hideDirs: [], hideFiles: [], uid: SANDBOX_UID, gid: SANDBOX_GID, tools: sandboxTools() });
  const r = spawnSync(c.file, c.args, { uid: c.uid, gid: c.gid, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  const problem = r.error ? r.error.message : r.status === 0 ? null : (r.stderr.trim().split('\n').at(-1) ?? `exit ${String(r.status)}`);
  probed.set(mode, problem);
  return problem;
}

const parseMode = (text: string | undefined): SandboxMode | 'auto' => {
  const t = (text ?? '').trim();
  if (t === '' || t === 'auto') return 'auto';
  if ((SANDBOX_MODES as readonly string[]).includes(t)) return t as SandboxMode;
  throw new SlipwayError('usage', `${SANDBOX_VAR}="${t}" is not a sandbox mode`, `use auto (the default), ${SANDBOX_MODES.join(', ')}`);
};

/** The mode to use and the risk it leaves. Throws `SlipwayError` when a forced mode cannot work here. */
export function chooseMode(wanted: string | undefined): { mode: SandboxMode; warning: string | null } {
  const want = parseMode(wanted);
  const root = isRoot();
  if (want === 'auto') {
    const full: SandboxMode = root ? 'bwrap+uid' : 'bwrap';
    const problem = probeMode(full);
    if (problem === null) return { mode: full, warning: null };
    return root ? { mode: 'uid', warning: warningFor('uid', problem) } : { mode: 'none', warning: warningFor('none', problem) };
  }
  if ((want === 'uid' || want === 'bwrap+uid') && !root) {
    throw new SlipwayError('usage', `${SANDBOX_VAR}=${want} needs root (to switch to uid ${SANDBOX_UID})`, 'use bwrap, or auto');
  }
  if (want === 'bwrap' || want === 'bwrap+uid') {
    const problem = probeMode(want);
    if (problem !== null) throw new SlipwayError('usage', `${SANDBOX_VAR}=${want}, but bubblewrap cannot run here: ${problem}`, 'install bubblewrap (Debian: apt-get install bubblewrap) and allow user namespaces, or use auto');
  }
  return { mode: want, warning: want === 'bwrap' && root ? warningFor('bwrap-root', null) : want === 'uid' || want === 'none' ? warningFor(want, `${SANDBOX_VAR}=${want}`) : null };
}

const warningFor = (what: 'uid' | 'none' | 'bwrap-root', why: string | null): string => {
  const because = why === null ? '' : ` (${why})`;
  switch (what) {
    case 'uid':
      return `steps and apps run as uid ${SANDBOX_UID} without namespaces${because}: they cannot read Slipway's home or the master key, but instances of different environments share the uid and can read each other's process environment (secrets) and data; install bubblewrap (Debian: apt-get install bubblewrap)`;
    case 'none':
      return `steps and apps are NOT sandboxed${because}: a pushed branch or a deployed app can read the database, the API token, the signing key, the master key and every environment's secrets, and move the canonical main; install bubblewrap (Debian: apt-get install bubblewrap) and allow unprivileged user namespaces`;
    case 'bwrap-root':
      return `bubblewrap without a uid change as root: confined code runs as root without capabilities and can read root's files outside the hidden paths; use auto`;
  }
};

const mode8 = (m: number): string => (m & 0o7777).toString(8).padStart(4, '0');

/** The first ancestor of `dir` (from /) that other users cannot traverse, or null. */
function blockedAncestor(dir: string, recreatedUnder: readonly string[]): string | null {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const d of chain) {
    // Bubblewrap makes the mount points inside a hidden directory itself (mode 0755).
    if (recreatedUnder.some((h) => isWithin(d, h) && d !== h)) return null;
    const st = statSync(d, { throwIfNoEntry: false });
    if (st === undefined) return null;
    if ((st.mode & 0o001) === 0) return `${d} is mode ${mode8(st.mode)}`;
  }
  return null;
}

/**
 * `chown -R -P -h` in this process (a child process costs more than the chown of a small tree):
 * every entry changes owner itself, and a symbolic link is never followed (it could point anywhere).
 */
async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  if (!(await lstat(path)).isDirectory()) return;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const p = join(dir, e.name);
        await lchown(p, uid, gid);
        if (e.isDirectory()) await walk(p);
      }),
    );
  };
  await walk(path);
}

/**
 * Creates the sandbox: chooses the mode (SLIPWAY_SANDBOX or auto), makes the sandbox area and
 * checks that the sandbox uid can reach it. Throws `SlipwayError` with the fix when it cannot.
 *
 * @example
 * const sandbox = createSandbox({ dir: sandboxDirOf(home), hideDirs: [home, keysDir], hideFiles: [keyFile] });
 * const c = sandbox.confine({ command: 'npm test', cwd: tree, writable: [tree, tmp], readOnly: [] });
 * spawn(c.file, c.args, { cwd: tree, uid: c.uid, gid: c.gid });
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const { mode, warning } = chooseMode(options.mode);
  const dir = resolve(options.dir);
  const root = isRoot();
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true });
  // Root: others may traverse the area (the uid reaches its own parts by name) but not list it.
  chmodSync(dir, root ? 0o711 : 0o700);
  const switches = mode === 'uid' || mode === 'bwrap+uid';
  if (switches) {
    const blocked = blockedAncestor(dir, mode === 'bwrap+uid' ? ['/tmp', dir] : []);
    if (blocked !== null) {
      throw new SlipwayError('config', `the sandbox user (uid ${SANDBOX_UID}) cannot reach the sandbox area ${dir}: ${blocked}`, 'let others traverse that directory (chmod o+x), or set SLIPWAY_SANDBOX_DIR to a directory they can reach');
    }
  }
  const hideDirs = [...options.hideDirs, dir].map((d) => resolve(d));
  const hideFiles = options.hideFiles.map((f) => resolve(f));
  const reachablePath = new Map<string, string>();
  return {
    mode,
    warning,
    dir,
    uid: switches ? SANDBOX_UID : null,
    gid: switches ? SANDBOX_GID : null,
    confine(spec: ConfineSpec): Confined {
      // A path that does not exist cannot be a mount point on the read-only root: nothing to hide.
      const plan: ConfinePlan = {
        ...spec, mode, uid: SANDBOX_UID, gid: SANDBOX_GID, tools: sandboxTools(),
        hideDirs: hideDirs.filter((d) => existsSync(d)),
        hideFiles: hideFiles.filter((f) => existsSync(f)),
      };
      return confineArgs(plan);
    },
    env(vars: Record<string, string>): Record<string, string> {
      if (vars.PATH === undefined || mode === 'none') return vars;
      // Each directory's ancestors are looked at once per PATH (some 2 ms of stat calls per step).
      let path = reachablePath.get(vars.PATH);
      if (path === undefined) {
        path = vars.PATH.split(':').filter((d) => {
          if (d === '' || !isAbsolute(d)) return false;
          if (mode !== 'uid' && [...hideDirs, '/tmp'].some((h) => isWithin(d, h))) return false;
          return !switches || blockedAncestor(d, []) === null;
        }).join(':');
        if (reachablePath.size >= 16) reachablePath.clear();
        reachablePath.set(vars.PATH, path);
      }
      return { ...vars, PATH: path };
    },
    async own(path: string): Promise<void> {
      if (!switches) return;
      await chownTree(path, SANDBOX_UID, SANDBOX_GID);
    },
  };
}
