// The "exactly one of" rule of a gate (run | scan | audit) and the keys that only fit some kinds,
// checked inside the schema so that each problem points at the key that causes it.

import type * as z from 'zod';

interface GateInput {
  run?: string | undefined;
  scan?: unknown;
  audit?: unknown;
  compare?: string | undefined;
  max_regression?: unknown;
  retries?: number | undefined;
  env?: unknown;
  secrets?: unknown;
}

const KINDS = ['run', 'scan', 'audit'] as const;
const EXPECTED = 'exactly one of run: <command>, scan: true, audit: { … }';

/** Adds an issue for each way a gate breaks the one-kind rule; `at: 'key'` points at the key itself. */
export function gateRefinement(gate: GateInput, ctx: z.RefinementCtx): void {
  const present = KINDS.filter((k) => gate[k] !== undefined);
  const issue = (key: string | undefined, message: string, expected?: string, hint?: string) =>
    ctx.addIssue({ code: 'custom', message, path: key ? [key] : [], params: { expected, hint, at: 'key' } });

  if (present.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'gate has no command',
      path: [],
      params: { expected: EXPECTED, hint: 'add `run: <command>`, e.g. `run: npm test`', at: 'key', missing: [...KINDS] },
    });
    return;
  }
  if (present.length > 1) {
    const [first, second] = present;
    issue(second, `a gate is one kind of step, this one has both \`${first}\` and \`${second}\``, EXPECTED, 'split it into two gates');
    return;
  }
  const kind = present[0];
  if (gate.compare !== undefined && kind !== 'run') {
    issue('compare', '`compare` applies only to a benchmark with `run`', undefined, 'remove `compare`');
  }
  if (gate.max_regression !== undefined && gate.compare === undefined) {
    issue('max_regression', '`max_regression` needs `compare: baseline`', undefined, 'add `compare: baseline` to make this a benchmark');
  }
  if (gate.retries !== undefined && (kind !== 'run' || gate.compare !== undefined)) {
    issue('retries', '`retries` applies only to command gates', undefined, 'remove `retries`');
  }
  for (const key of ['env', 'secrets'] as const) {
    if (gate[key] !== undefined && kind !== 'run') {
      issue(key, `\`${key}\` applies only to gates with \`run\`; the built-in \`${kind}\` takes none`, undefined, `remove \`${key}\``);
    }
  }
}
