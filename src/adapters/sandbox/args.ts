// The commands that confine a step or an app, as argument arrays built by pure functions (the
// adapter beside this file decides the mode and the paths; this file only spells the command).

import { isAbsolute, relative } from 'node:path';
import type { Confined, ConfineSpec, SandboxMode } from '../../ports/sandbox.js';

export interface ConfinePlan extends ConfineSpec {
  mode: SandboxMode;
  /** Directories replaced by an empty tmpfs (the home, the sandbox area, the key directory). */
  hideDirs: readonly string[];
  /** Files replaced by an empty one (a master key file). */
  hideFiles: readonly string[];
  uid: number;
  gid: number;
  /** Where `env`, `bwrap` and `setpriv` are; their names (looked up in PATH at each spawn) when absent. */
  tools?: SandboxTools;
}

export interface SandboxTools {
  env: string;
  bwrap: string;
  setpriv: string;
}

const TOOL_NAMES: SandboxTools = { env: 'env', bwrap: 'bwrap', setpriv: 'setpriv' };

/** Whether `p` is `dir` or inside it. */
export const isWithin = (p: string, dir: string): boolean => {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The command for one confined process.
 *
 * @example
 * confineArgs({ mode: 'bwrap', command: 'npm test', cwd: '/w/t', writable: ['/w/t'], readOnly: [], hideDirs: ['/h'], hideFiles: [], uid: 64000, gid: 64000 })
 * // → { file: 'bwrap', args: ['--ro-bind', '/', '/', …, '--tmpfs', '/h', '--bind', '/w/t', '/w/t', …, '/bin/sh', '-c', 'npm test'] }
 */
export function confineArgs(p: ConfinePlan): Confined {
  const shell = ['/bin/sh', '-c', p.command];
  const t = p.tools ?? TOOL_NAMES;
  // Stopping signals go to the whole process group: bubblewrap (and its init in the new pid
  // namespace) must ignore them so that the app gets them and decides; the app's shell gets
  // them back at their default.
  const wrap = (inner: string[]): Confined => ({
    file: t.env,
    args: [`--ignore-signal=${STOP_SIGNALS}`, t.bwrap, ...inner, t.env, `--default-signal=${STOP_SIGNALS}`, ...shell],
  });
  switch (p.mode) {
    case 'none':
      return { file: '/bin/sh', args: shell.slice(1) };
    case 'uid':
      return { file: '/bin/sh', args: shell.slice(1), uid: p.uid, gid: p.gid };
    case 'bwrap':
      return wrap([...bwrapMounts(p), '--unshare-all', '--share-net', '--']);
    case 'bwrap+uid':
      // As root bubblewrap needs no user namespace; it keeps only the two capabilities that
      // setpriv needs to drop to the sandbox uid, and setpriv drops them with everything else.
      return wrap([
        ...bwrapMounts(p), '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try',
        '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--',
        t.setpriv, `--reuid=${p.uid}`, `--regid=${p.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--',
      ]);
  }
}

const STOP_SIGNALS = 'TERM,INT,HUP';

/**
 * The file system the process sees: everything read-only, a private /tmp, a fresh /proc of its
 * own pid namespace, the hidden paths empty and read-only, then its own directories bound back in
 * (a bind inside a hidden directory gets its mount point made in the tmpfs, so the path stays the
 * same).
 */
function bwrapMounts(p: ConfinePlan): string[] {
  const a = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  const hidden: string[] = ['/tmp'];
  // Outermost first, and nothing already hidden by an enclosing tmpfs.
  for (const d of [...p.hideDirs].sort((x, y) => x.length - y.length)) {
    if (hidden.some((h) => isWithin(d, h))) continue;
    hidden.push(d);
    a.push('--tmpfs', d);
  }
  for (const f of p.hideFiles) if (!hidden.some((h) => isWithin(f, h))) a.push('--ro-bind', '/dev/null', f);
  // Bubblewrap would make a bind's missing parents with the modes of the originals (0700 for a
  // private temporary directory): make them traversable first, so that the sandbox uid reaches it.
  const made = new Set<string>();
  for (const d of [...p.readOnly, ...p.writable]) {
    const h = hidden.find((x) => isWithin(d, x) && d !== x);
    if (h === undefined) continue;
    const parts = relative(h, d).split('/').slice(0, -1);
    let at = h;
    for (const part of parts) {
      at = `${at}/${part}`;
      if (made.has(at)) continue;
      made.add(at);
      a.push('--perms', '0755', '--dir', at);
    }
  }
  for (const d of p.readOnly) a.push('--ro-bind', d, d);
  for (const d of p.writable) a.push('--bind', d, d);
  // Then each hidden directory's tmpfs read-only: without a uid change (an ordinary user's
  // bubblewrap) the process owns that tmpfs and could write where the home is. The binds above are
  // mounts of their own and stay as they are (one bound over a hidden directory itself is left
  // alone); the private /tmp stays writable.
  const bound = new Set([...p.readOnly, ...p.writable]);
  for (const h of hidden.slice(1)) if (!bound.has(h)) a.push('--remount-ro', h);
  a.push('--chdir', p.cwd);
  if (p.outlivesParent !== true) a.push('--die-with-parent');
  return a;
}
