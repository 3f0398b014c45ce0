import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { approvalDeadline, approvalExpired, checkComment, decideApproval, needsApproval } from './approval.js';
import { canMove, isTerminal } from './types.js';

const waiting = { id: 'd3', env: 'production', phase: 'awaiting_approval' as const, actor: 'alice' };

describe('approvals', () => {
  test('every deployment into an environment with approval: required waits, but a rollback', () => {
    assert.equal(needsApproval({ approval: 'required' }, 'deploy'), true);
    assert.equal(needsApproval({ approval: 'required' }, 'promote'), true);
    assert.equal(needsApproval({ approval: 'required' }, 'auto'), true);
    assert.equal(needsApproval({ approval: 'required' }, 'config'), true);
    assert.equal(needsApproval({ approval: 'required' }, 'rollback'), false);
    assert.equal(needsApproval({ approval: 'none' }, 'deploy'), false);
  });

  test('someone other than the requester approves (→ pending) or rejects (→ rejected, final)', () => {
    assert.deepEqual(decideApproval(waiting, { verdict: 'approve', by: 'bob' }), { ok: true, to: 'pending' });
    assert.deepEqual(decideApproval(waiting, { verdict: 'reject', by: 'bob' }), { ok: true, to: 'rejected' });
    assert.equal(canMove('awaiting_approval', 'pending'), true);
    assert.equal(canMove('awaiting_approval', 'rejected'), true);
    assert.equal(canMove('awaiting_approval', 'canceled'), true, 'withdrawn by its requester');
    assert.equal(canMove('awaiting_approval', 'starting'), false, 'nothing starts before the approval');
    assert.equal(isTerminal('rejected'), true);
    assert.equal(isTerminal('awaiting_approval'), false);
  });

  test('the requester may decide neither way', () => {
    for (const verdict of ['approve', 'reject'] as const) {
      const d = decideApproval(waiting, { verdict, by: 'alice' });
      assert.equal(d.ok, false);
      if (d.ok) continue;
      assert.equal(d.code, 'refused');
      assert.match(d.message, new RegExp(`^alice asked for d3, so alice cannot ${verdict} it`));
    }
  });

  test('a deployment that no longer waits: a conflict naming its phase', () => {
    for (const phase of ['pending', 'starting', 'succeeded', 'rejected', 'canceled'] as const) {
      const d = decideApproval({ ...waiting, phase }, { verdict: 'approve', by: 'bob' });
      assert.equal(d.ok, false);
      if (d.ok) continue;
      assert.equal(d.code, 'conflict');
      assert.equal(d.message, `d3 is not awaiting approval: it is ${phase}`);
    }
  });

  test('the timeout: a deadline from the request, passed at the deadline and not before', () => {
    const deadline = approvalDeadline('2026-12-05T10:00:00.000Z', 2 * 3_600_000);
    assert.equal(deadline, '2026-12-05T12:00:00.000Z');
    assert.equal(approvalDeadline('2026-12-05T10:00:00.000Z', undefined), undefined);
    const d = { phase: 'awaiting_approval' as const, approvalDeadline: deadline };
    assert.equal(approvalExpired(d, Date.parse('2026-12-05T11:59:59.999Z')), false);
    assert.equal(approvalExpired(d, Date.parse('2026-12-05T12:00:00.000Z')), true);
    assert.equal(approvalExpired({ ...d, phase: 'pending' }, Date.parse('2026-12-06T00:00:00Z')), false, 'decided already');
    assert.equal(approvalExpired({ phase: 'awaiting_approval' }, Date.parse('2099-01-01T00:00:00Z')), false, 'no timeout: waits');
  });

  test('a comment: optional, trimmed, a string of at most 1000 characters without control characters', () => {
    assert.deepEqual(checkComment(undefined), { ok: true, comment: undefined });
    assert.deepEqual(checkComment('  looks good\n'), { ok: true, comment: 'looks good' });
    assert.deepEqual(checkComment('   '), { ok: true, comment: undefined });
    assert.deepEqual(checkComment(5), { ok: false, message: '"comment" must be a string' });
    assert.deepEqual(checkComment('x'.repeat(1001)), { ok: false, message: '"comment" is longer than 1000 characters' });
    assert.deepEqual(checkComment('a\u001b[31mred'), { ok: false, message: '"comment" holds control characters' });
  });
});
