// The public JSON shape of a deployment (SPEC §6 `history --json`), shared by the API, the CLI and
// outgoing notifications, so that a script reads the same fields everywhere.
import type { Deployment } from './types.js';

export const deploymentJson = (d: Deployment) => ({
  id: d.id,
  env: d.env,
  release: d.release,
  digest: d.digest,
  commit: d.commit,
  author: d.author,
  trigger: d.trigger,
  actor: d.actor,
  strategy: d.strategy,
  status: d.phase,
  forced: d.forced,
  started_at: d.startedAt,
  finished_at: d.finishedAt ?? null,
  reason: d.reason ?? null,
  rolled_back_to: d.rolledBackTo ?? null,
});

export type DeploymentJson = ReturnType<typeof deploymentJson>;
