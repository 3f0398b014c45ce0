// What the canonical repository's receive hook decides for each pushed ref update: main is never
// updated directly, a push to refs/for/main becomes a queue item, Slipway's own refs are off limits.

export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

export type RefDecision =
  | { ref: string; verdict: 'allow' }
  | { ref: string; verdict: 'enqueue'; sha: string }
  | { ref: string; verdict: 'refuse'; message: string };

export const MAIN_REF = 'refs/heads/main';
export const QUEUE_TARGET_REF = 'refs/for/main';
/** Where the queue keeps each item's commit, so that git never collects it. */
export const queueRef = (itemId: string): string => `refs/slipway/queue/${itemId}`;

const isZero = (sha: string): boolean => /^0+$/.test(sha);

/** The words the hook prints when someone pushes to main directly. */
export const mainRefusal = (): string =>
  [
    'main is protected by Slipway: it only moves to a commit on which every gate passed,',
    'through the merge queue. Nothing was changed. To merge this change, queue it:',
    '    git push <this remote> HEAD:refs/for/main',
    'or, from your working repository:',
    '    slipway merge BRANCH',
    'Follow it with `slipway queue`.',
  ].join('\n');

/** Parses the hook's standard input: one `<old> <new> <ref>` line per update. */
export const parseRefUpdates = (text: string): { ok: true; updates: RefUpdate[] } | { ok: false; message: string } => {
  const updates: RefUpdate[] = [];
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (const [i, line] of lines.entries()) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line.trim());
    if (!m) return { ok: false, message: `line ${i + 1} of the hook's input is not "<old> <new> <ref>": ${JSON.stringify(line.slice(0, 200))}` };
    updates.push({ old: m[1] as string, new: m[2] as string, ref: m[3] as string });
  }
  return { ok: true, updates };
};

/** Refs that only Slipway moves (main) or that mean something to it (the queue's target). */
const PROTECTED_REFS = [MAIN_REF, QUEUE_TARGET_REF];

/**
 * Refs that are not the protected ones but could be taken for them: one that differs only in case
 * (on a case-insensitive file system `refs/heads/Main` is the file of main), and a branch named
 * HEAD, which git itself confuses with HEAD.
 */
const lookAlike = (ref: string): string | undefined => {
  const lower = ref.toLowerCase();
  if (lower === 'refs/heads/head') return `${ref} is refused: a branch named HEAD is confused with HEAD itself`;
  const twin = PROTECTED_REFS.find((p) => p === lower && p !== ref);
  if (twin !== undefined) return `${ref} is refused: it differs from ${twin} only in case (the same file on a case-insensitive file system)`;
  if (lower.startsWith('refs/slipway/') && !ref.startsWith('refs/slipway/')) return `${ref} is refused: it differs from refs/slipway/ only in case`;
  return undefined;
};

/** The verdict on one ref update. */
export const decideRefUpdate = (u: RefUpdate): RefDecision => {
  if (u.ref === MAIN_REF) return { ref: u.ref, verdict: 'refuse', message: mainRefusal() };
  const alike = lookAlike(u.ref);
  if (alike !== undefined) return { ref: u.ref, verdict: 'refuse', message: alike };
  if (u.ref === QUEUE_TARGET_REF) {
    if (isZero(u.new)) return { ref: u.ref, verdict: 'refuse', message: 'refs/for/main is not a branch that can be deleted: push a commit to it to queue that commit' };
    return { ref: u.ref, verdict: 'enqueue', sha: u.new };
  }
  if (u.ref.startsWith('refs/for/')) {
    return { ref: u.ref, verdict: 'refuse', message: `only main has a merge queue: push to refs/for/main, not ${u.ref}` };
  }
  if (u.ref.startsWith('refs/slipway/')) return { ref: u.ref, verdict: 'refuse', message: `${u.ref} is kept by Slipway itself and cannot be pushed` };
  return { ref: u.ref, verdict: 'allow' };
};

/**
 * The verdicts on a whole push. git applies a push atomically only when asked to, so a push with
 * any refused update is refused whole: nothing changes and the pusher sees every reason.
 */
export const decidePush = (updates: readonly RefUpdate[]): { ok: boolean; decisions: RefDecision[] } => {
  const decisions = updates.map(decideRefUpdate);
  return { ok: decisions.every((d) => d.verdict !== 'refuse'), decisions };
};
