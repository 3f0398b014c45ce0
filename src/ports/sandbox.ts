// The sandbox port: how a pipeline step or an app instance is confined, so that the code of a
// pushed branch or of a deployed app cannot reach Slipway's home, the master key, another
// environment's secrets or the canonical repository. The adapter (adapters/sandbox) picks the
// mechanism: bubblewrap namespaces, a dedicated unprivileged uid when root, or both.

/**
 * - `bwrap+uid`: root; bubblewrap (mount, pid, ipc, uts namespaces) and the sandbox uid inside it.
 * - `bwrap`: an ordinary user; bubblewrap in a user namespace.
 * - `uid`: root without a working bubblewrap; the sandbox uid only (instances of different
 *   environments share it, so one can read another's process environment).
 * - `none`: nothing confines the code: it runs with the control plane's rights.
 */
export type SandboxMode = 'bwrap+uid' | 'bwrap' | 'uid' | 'none';

export const SANDBOX_MODES: readonly SandboxMode[] = ['bwrap+uid', 'bwrap', 'uid', 'none'];

export interface ConfineSpec {
  /** Run with `/bin/sh -c`. */
  command: string;
  cwd: string;
  /** Directories the process may write: its work tree or data directory, its temporary directory. */
  writable: readonly string[];
  /** Directories it may only read: its release. */
  readOnly: readonly string[];
  /**
   * True for an app instance, which outlives its shim (the runtime adopts it again); a step dies
   * with the process that started it.
   */
  outlivesParent?: boolean;
}

/** What to spawn instead of `/bin/sh -c command`: `spawn(file, args, { uid, gid })`. */
export interface Confined {
  file: string;
  args: string[];
  uid?: number;
  gid?: number;
}

export interface Sandbox {
  readonly mode: SandboxMode;
  /** The risk left, in a sentence, when the mode does not confine fully; null when it does. */
  readonly warning: string | null;
  /**
   * Where work trees, releases, data and temporary directories live: outside the home, reachable
   * by the sandbox user. Each confined process sees only its own part of it.
   */
  readonly dir: string;
  /** The sandbox uid and gid processes run as, when the mode changes the uid. */
  readonly uid: number | null;
  readonly gid: number | null;
  confine(spec: ConfineSpec): Confined;
  /**
   * The environment adjusted for confined code: PATH without the directories it cannot reach
   * (a shell that meets an unreadable one says "Permission denied" instead of "not found").
   */
  env(vars: Record<string, string>): Record<string, string>;
  /**
   * Makes the tree at `path` writable by the sandboxed process (chown to the sandbox uid when
   * Slipway runs as root; nothing otherwise). Call it on a fresh work tree or data directory.
   */
  own(path: string): Promise<void>;
}
