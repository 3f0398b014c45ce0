// What every lockfile parser produces: the installed packages, each with where it sits.

export interface LockedPackage {
  /** The registry name (an npm alias resolves to the real package). */
  name: string;
  version: string;
  /** Where the package sits: "node_modules/a/node_modules/b" for npm, the entry key for yarn/pnpm. */
  path: string;
  dev?: boolean;
  optional?: boolean;
}

export type LockfileKind = 'npm-v1' | 'npm-v2' | 'npm-v3' | 'yarn-v1' | 'yarn-berry' | 'pnpm';

export interface Lockfile {
  kind: LockfileKind;
  packages: LockedPackage[];
  /** Entries left out, e.g. a git dependency without a version. */
  warnings: string[];
}

export type ParseLockfileResult = { ok: true; lockfile: Lockfile } | { ok: false; message: string };

/** True for names npm could publish: lower-case, optionally scoped. */
export function plausibleName(name: string): boolean {
  return /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9_.~-][\w.~-]*$/i.test(name) && name.length <= 214;
}
