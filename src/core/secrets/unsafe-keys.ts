// Variable names that would let whoever sets a config value, a secret or a slipway.yaml default
// run code of their choosing in a process Slipway starts — the shim, a step's sandbox wrapper, an
// app's interpreter — or corrupt an object keyed by the name. Pure: the callers decide what to do.
//
// The list (docs/security.md, "Hostile configuration"):
// - object keys of JavaScript itself: `__proto__`, `constructor`, `prototype` — never accepted;
// - the dynamic loader: every `LD_*` (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT…), macOS `DYLD_*`, and
//   glibc's `GCONV_PATH`, which loads a shared object too;
// - interpreter start-up options that load code: NODE_OPTIONS (`--require`, `--import`),
//   JAVA_TOOL_OPTIONS / _JAVA_OPTIONS / JDK_JAVA_OPTIONS (`-javaagent`), PERL5OPT (`-M`), RUBYOPT (`-r`);
// - module search paths that come before the installed modules: NODE_PATH, PYTHONPATH, PYTHONHOME,
//   PERL5LIB, PERLLIB, RUBYLIB;
// - shells: BASH_ENV and ENV (a file sourced at start), SHELLOPTS and BASHOPTS (options such as
//   xtrace with a PS4 that runs commands), and PATH (which binary a bare command name runs).
// These are accepted only where a person says so (`--allow-unsafe` of `config set`, `config import`
// and `secrets set`), never from slipway.yaml, which any pusher can change.

/** Names that are JavaScript's own object keys: refused everywhere, with no override. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Loader and injection variables, exactly as named (see the list above). */
export const INJECTION_KEYS: ReadonlySet<string> = new Set([
  'GCONV_PATH',
  'NODE_OPTIONS',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'PERL5OPT',
  'RUBYOPT',
  'NODE_PATH',
  'PYTHONPATH',
  'PYTHONHOME',
  'PERL5LIB',
  'PERLLIB',
  'RUBYLIB',
  'BASH_ENV',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PATH',
]);

/** Prefixes of loader variables: every dynamic-loader setting is one of them. */
export const INJECTION_PREFIXES: readonly string[] = ['LD_', 'DYLD_'];

export type UnsafeKey = { kind: 'prototype' | 'injection'; message: string; hint: string };

/** A refused variable of a change, as config and secrets report their problems. */
export interface UnsafeIssue {
  key: string;
  message: string;
  hint: string;
}

/**
 * The variables of `changes` that may not be set: every JavaScript object key, and loader or
 * injection variables unless `allowUnsafe`. Removing one is always allowed: it takes the risk away.
 * @example unsafeChanges([{ op: 'set', key: 'LD_PRELOAD' }], { allowUnsafe: false }) // [{ key: 'LD_PRELOAD', … }]
 */
export function unsafeChanges(changes: ReadonlyArray<{ op: 'set' | 'unset'; key: string }>, opts: { allowUnsafe: boolean }): UnsafeIssue[] {
  const out: UnsafeIssue[] = [];
  for (const c of changes) {
    const unsafe = c.op === 'set' ? unsafeKey(c.key) : undefined;
    if (unsafe && (unsafe.kind === 'prototype' || !opts.allowUnsafe)) out.push({ key: c.key, message: unsafe.message, hint: unsafe.hint });
  }
  return out;
}

/**
 * Why `name` must not be set as a variable, or undefined when it may. The check is exact and
 * case-sensitive, as environment variables are (`path` is not `PATH`).
 * @example unsafeKey('LD_PRELOAD') // { kind: 'injection', … }
 */
export function unsafeKey(name: string): UnsafeKey | undefined {
  if (PROTOTYPE_KEYS.has(name)) {
    return { kind: 'prototype', message: `${name} is a JavaScript object key and cannot be a variable name`, hint: 'choose another name' };
  }
  if (INJECTION_KEYS.has(name) || INJECTION_PREFIXES.some((p) => name.startsWith(p))) {
    return {
      kind: 'injection',
      message: `${name} changes which code a process loads or runs; it is refused so that a config change cannot inject code into the app or Slipway's own processes`,
      hint: 'if the app really needs it, set it with `--allow-unsafe` (recorded in the audit trail); slipway.yaml cannot set it',
    };
  }
  return undefined;
}
