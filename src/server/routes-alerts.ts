// The Alertmanager webhook receiver (payload version 4): an alert that matches an environment
// and fires within its protection window after a deploy rolls that environment back; outside the
// window it is recorded and notified only. Authenticated by a bearer token or an HMAC signature
// (slipway.yaml `alertmanager`), never by the API token: a bad one gets 401 and changes nothing,
// before any body is read (a bearer token) or any git work is done (either kind).
import { checkAlertHeaders, checkAlertSignature, parseAlertPayload, ReplayCache, routeAlerts, type AlertAuthConfig } from './compose-alerts.js';
import { SlipwayError } from '../core/errors.js';
import { isRunFinished } from '../core/run.js';
import type { Engine } from '../engine/engine.js';
import { configAt } from '../engine/deploy/spec.js';
import { HttpError, readRawBody, type Router } from './http.js';

/** The slipway.yaml that speaks for the app now: the newest green run's commit, else HEAD. */
const currentConfig = async (engine: Engine) => {
  const green = (await engine.ctx.store.listRuns(200)).find((r) => r.status === 'passed');
  const commit = green?.commit ?? (await engine.ctx.vcs.resolve(engine.ctx.repo, 'HEAD'))?.sha;
  if (!commit) throw new SlipwayError('not_found', 'no commit to read slipway.yaml from');
  return configAt(engine.ctx, commit);
};

/**
 * The names of the variables that hold the receiver's credentials, read from the current
 * slipway.yaml when the control plane starts and again after each run, never because a request
 * came: an unauthenticated request costs no git work.
 */
const credentialNames = (engine: Engine): (() => Promise<{ tokenEnv?: string; secretEnv?: string }>) => {
  const load = () => currentConfig(engine).then((c) => ({ tokenEnv: c.alertmanager?.tokenEnv, secretEnv: c.alertmanager?.secretEnv }), () => ({}));
  let names = load();
  engine.ctx.bus.subscribe((n) => {
    if (n.type === 'run' && isRunFinished(n.status)) names = load();
  });
  return () => names;
};

export const addAlertRoutes = (r: Router, engine: Engine): void => {
  const names = credentialNames(engine);
  const replay = new ReplayCache();
  r.hook('POST', '/v1/hooks/alertmanager', async (req) => {
    const { tokenEnv, secretEnv } = await names();
    const credentials: AlertAuthConfig = { tokens: tokenEnv ? [process.env[tokenEnv] ?? ''] : [], hmacSecrets: secretEnv ? [process.env[secretEnv] ?? ''] : [] };
    const first = checkAlertHeaders(req.raw.headers, credentials, Date.now());
    if (first.ok === false) throw new HttpError(401, first.message);
    const body = await readRawBody(req.raw);
    if (first.ok === 'needs_body') {
      const signed = checkAlertSignature(first, body, credentials, replay, Date.now());
      if (!signed.ok) throw new HttpError(401, signed.message);
    }
    const config = await currentConfig(engine);
    const payload = parseAlertPayload(body);
    if (!payload.ok) throw new HttpError(payload.reason === 'too_large' ? 413 : 400, `${payload.field}: ${payload.message}`);

    const targets = [];
    for (const env of config.environments) {
      if (!env.alerts) continue;
      const last = (await engine.ctx.store.listDeployments(env.name, 20)).find((d) => d.phase === 'succeeded' || d.phase === 'verifying' || d.phase === 'starting' || d.phase === 'held');
      targets.push({ name: env.name, alerts: env.alerts, deployedAt: last ? Date.parse(last.startedAt) : undefined });
    }
    const routing = routeAlerts(payload.value, targets);
    const actions: { env: string; alert: string; action: 'rolled_back' | 'canceled_deployment' | 'recorded'; deployment?: string; reason: string }[] = [];
    for (const m of routing.matches) {
      const name = m.alert.labels.alertname ?? 'alert';
      const cause = `alert ${name} fired at ${m.alert.startsAt} (${m.reason})`;
      await engine.ctx.store.appendEvent({ kind: 'alert.received', actor: 'alertmanager', subject: m.env, data: { alert: name, labels: m.alert.labels, status: m.alert.status, inWindow: m.inWindow, reason: m.reason } }, new Date().toISOString());
      if (!m.inWindow || m.alert.status !== 'firing') {
        actions.push({ env: m.env, alert: name, action: 'recorded', reason: m.reason });
        continue;
      }
      if (actions.some((a) => a.env === m.env && a.action !== 'recorded')) continue; // one rollback per environment per payload
      const inFlight = (await engine.ctx.store.listDeployments(m.env, 5)).find((d) => !d.finishedAt);
      if (inFlight && engine.deployer.cancel(inFlight.id, `verification failed: ${cause}`, { alert: true })) {
        actions.push({ env: m.env, alert: name, action: 'canceled_deployment', deployment: inFlight.id, reason: cause });
        continue;
      }
      try {
        const h = await engine.deployer.rollback(m.env, { cause });
        actions.push({ env: m.env, alert: name, action: 'rolled_back', deployment: h.deployment.id, reason: cause });
      } catch (e) {
        actions.push({ env: m.env, alert: name, action: 'recorded', reason: `${cause}; no rollback: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    return { received: payload.value.alerts.length, unmatched: routing.unmatched.length, actions };
  }, {
    summary: 'Receive Alertmanager alerts (webhook payload version 4)',
    description:
      "Authenticated by the receiver's bearer token or an HMAC signature named in slipway.yaml `alertmanager`, not by the API token. A firing alert within an environment's protection window after a deploy rolls it back; others are recorded.",
    tag: 'hooks',
  });
};
