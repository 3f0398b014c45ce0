// Approvals (`approval: required`): whether a deployment must wait for a person, and whether a
// decision on one that waits may be taken, by whom, and what it moves it to. Pure decisions; the
// engine applies them under the environment's lease (engine/deploy/approve.ts).
import type { Deployment, DeployTrigger } from './types.js';

export type Verdict = 'approve' | 'reject';

/**
 * Whether a deployment of `trigger` into an environment waits for an approval. Every deployment
 * does (a deploy, a promotion, an automatic deploy of a green commit, a config change) but a
 * rollback: going back to a release that already served is how an incident ends, and waiting for
 * a second person there would only make it longer.
 */
export const needsApproval = (env: { approval: 'none' | 'required' }, trigger: DeployTrigger): boolean => env.approval === 'required' && trigger !== 'rollback';

/** When a deployment asked for at `startedAt` is rejected if nobody decided (`timeoutMs` absent: never). */
export const approvalDeadline = (startedAt: string, timeoutMs: number | undefined): string | undefined =>
  timeoutMs === undefined ? undefined : new Date(Date.parse(startedAt) + timeoutMs).toISOString();

/** True when `d` awaits approval past its deadline: it is to be rejected by the timeout. */
export const approvalExpired = (d: Pick<Deployment, 'phase' | 'approvalDeadline'>, now: number): boolean =>
  d.phase === 'awaiting_approval' && d.approvalDeadline !== undefined && Date.parse(d.approvalDeadline) <= now;

export type ApprovalDecision =
  | { ok: true; to: 'pending' | 'rejected' }
  /** `conflict`: the deployment is not (or no longer) waiting; `refused`: this person may not decide. */
  | { ok: false; code: 'conflict' | 'refused'; message: string; hint: string };

/**
 * Whether `by` may approve or reject `d`, and the phase it moves to. The requester (the actor who
 * asked for the deployment) may decide neither way: an approval is a second person's; the
 * requester can withdraw it instead (a cancel).
 *
 * @example
 * decideApproval({ id: 'd3', env: 'production', phase: 'awaiting_approval', actor: 'alice' }, { verdict: 'approve', by: 'bob' })
 * // { ok: true, to: 'pending' }
 * decideApproval({ id: 'd3', env: 'production', phase: 'awaiting_approval', actor: 'alice' }, { verdict: 'approve', by: 'alice' })
 * // { ok: false, code: 'refused', message: 'alice asked for d3: … someone else …' }
 */
export const decideApproval = (d: Pick<Deployment, 'id' | 'env' | 'phase' | 'actor'>, decision: { verdict: Verdict; by: string }): ApprovalDecision => {
  if (d.phase !== 'awaiting_approval') {
    return {
      ok: false,
      code: 'conflict',
      message: `${d.id} is not awaiting approval: it is ${d.phase}`,
      hint: `see it with \`slipway logs ${d.id}\``,
    };
  }
  if (d.actor === decision.by) {
    return {
      ok: false,
      code: 'refused',
      message: `${decision.by} asked for ${d.id}, so ${decision.by} cannot ${decision.verdict} it: an approval is someone else's decision`,
      hint: `ask a person with the deploy role (their own token) to run \`slipway ${decision.verdict} ${d.id}\`; to withdraw it, cancel it (POST /v1/deployments/${d.id}/cancel)`,
    };
  }
  return { ok: true, to: decision.verdict === 'approve' ? 'pending' : 'rejected' };
};

/** A comment kept with a decision: one line or a few, at most 1000 characters. */
export const MAX_COMMENT = 1000;

/** The comment as recorded, or why it is refused (a message naming the field). */
export const checkComment = (raw: unknown): { ok: true; comment: string | undefined } | { ok: false; message: string } => {
  if (raw === undefined || raw === null) return { ok: true, comment: undefined };
  if (typeof raw !== 'string') return { ok: false, message: '"comment" must be a string' };
  if (raw.length > MAX_COMMENT) return { ok: false, message: `"comment" is longer than ${MAX_COMMENT} characters` };
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(raw)) return { ok: false, message: '"comment" holds control characters' };
  const trimmed = raw.trim();
  return { ok: true, comment: trimmed === '' ? undefined : trimmed };
};
