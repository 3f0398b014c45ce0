// The JSON body of a deployment notification: the deployment's fields (the names of
// `slipway history --json`) and the verification evidence in short. Pure.

import type { NotificationEvent } from '../../config/types.js';
import type { Deployment } from '../../core/deployment/types.js';
import type { VerificationReport } from '../../core/verification/types.js';
import { deploymentJson } from '../../core/deployment/wire.js';

export interface DeploymentNotice {
  event: NotificationEvent;
  /** The app's name (slipway.yaml `app`). */
  app: string;
  deployment: Deployment;
  /** The verification evidence, when there was a verification. */
  evidence?: VerificationReport;
}

/** The notice as sent: snake_case like the CLI's JSON, evidence reduced to what a reader needs. */
export function noticeBody(notice: DeploymentNotice, sentAt: number): string {
  const d = notice.deployment;
  const e = notice.evidence;
  return JSON.stringify({
    event: notice.event,
    sent_at: new Date(sentAt).toISOString(),
    app: notice.app,
    deployment: deploymentJson(d),
    evidence: e
      ? {
          summary: e.summary,
          decision: e.decision,
          elapsed_ms: e.elapsedMs,
          requests: e.requests,
          checks: e.checks.map((c) => ({
            check: c.source,
            status: c.status,
            observed: c.observed ?? null,
            threshold: c.threshold ?? null,
            unit: c.unit,
            samples: c.samples,
            p_value: c.pValue ?? null,
            first_bad_at: c.firstBadAt === undefined ? null : new Date(c.firstBadAt).toISOString(),
            message: c.message,
          })),
        }
      : null,
  });
}
