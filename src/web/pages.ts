// The dashboard's pages. Each reads the API of one app (ui.ts apiOf) and follows its events, so
// what it shows stays current without a reload; actions show only for roles that may take them.
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { call, follow, get } from './api.js';
import { figureChart, verificationChart, type CheckEvidence, type Marker, type SeriesPoint } from './charts.js';
import { ActionButton, Badge, Digest, Loading, Problem, Section, apiOf, canAct, clock, duration, html, linkOf, span, useLive, useLoad, when, type Session } from './ui.js';

interface DeploymentJson {
  id: string;
  env: string;
  release: number;
  digest: string;
  commit: string;
  author: string;
  trigger: string;
  actor: string;
  strategy: string;
  status: string;
  forced: boolean;
  started_at: string;
  finished_at: string | null;
  reason: string | null;
  rolled_back_to: number | null;
  approval_deadline?: string | null;
}

interface Environment {
  env: string;
  url: string | null;
  current: { release: string; digest: string; commit: string } | null;
  routes: { release: string; weight: number }[];
  instances: { id: string; release: string; state: string; port: number; restarts: number }[];
  healthy: number;
  lock: { holder: string; purpose: string } | null;
  lastDeployment: DeploymentJson | null;
}

interface StatusAnswer {
  activeRuns: string[];
  activeDeployments: string[];
  environments: Environment[];
  awaitingApproval: DeploymentJson[];
}

interface EventRecord {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  subject: string;
  data: Record<string, unknown>;
}

const FINISHED = ['succeeded', 'failed', 'rolled_back', 'canceled', 'rejected'];

const short = (sha: string | null | undefined): string => (sha ? sha.slice(0, 10) : '—');

// ---------------------------------------------------------------------------------------------
// Apps

interface AppSummary {
  name: string;
  environments: string[];
  lastRun: { id: string; status: string } | null;
  inFlight: string[];
}

export const AppsPage = ({ session }: { session: Session }): VNode => {
  const apps = useLoad(async () => {
    if (session.mode === 'local') {
      const [status, remote] = await Promise.all([get<StatusAnswer & { lastRun?: { id: string; status: string } }>('/v1/status'), get<{ app: string | null }>('/v1/remote').catch(() => ({ app: null }))]);
      return [{ name: '-', label: remote.app ?? 'this app', environments: status.environments.map((e) => e.env), lastRun: status.lastRun ?? null, inFlight: [...status.activeRuns, ...status.activeDeployments] }];
    }
    const { apps } = await get<{ apps: AppSummary[] }>('/v1/apps');
    return apps.map((a) => ({ ...a, label: a.name }));
  }, 'apps');
  return html`<${Section} title="Apps">
    <${Problem} error=${apps.error} />
    ${apps.data === undefined ? html`<${Loading} failed=${apps.error} />` : apps.data.length === 0 ? html`<p>No app yet: create one with <code>slipway apps create NAME</code>.</p>` : html`
      <table>
        <thead><tr><th scope="col">App</th><th scope="col">Environments</th><th scope="col">Last run</th><th scope="col">In flight</th></tr></thead>
        <tbody>${apps.data.map((a) => html`<tr>
          <th scope="row"><a href=${linkOf(a.name)}>${a.label}</a></th>
          <td>${a.environments.join(', ') || '—'}</td>
          <td>${a.lastRun ? html`<a href=${linkOf(a.name, 'run', a.lastRun.id)}>${a.lastRun.id}</a> <${Badge} status=${a.lastRun.status} />` : '—'}</td>
          <td>${a.inFlight.join(', ') || 'nothing'}</td>
        </tr>`)}</tbody>
      </table>`}
  </${Section}>`;
};

// ---------------------------------------------------------------------------------------------
// Environments (an app's home page)

const EnvCard = ({ app, e, all, session, reload }: { app: string; e: Environment; all: string[]; session: Session; reload: () => void }): VNode => {
  const api = apiOf(app);
  const [to, setTo] = useState(all.find((x) => x !== e.env) ?? '');
  const last = e.lastDeployment;
  const inFlight = last && !FINISHED.includes(last.status) ? last : undefined;
  return html`<article class="card" aria-labelledby=${`env-${e.env}`}>
    <h3 id=${`env-${e.env}`}><a href=${linkOf(app, 'env', e.env)}>${e.env}</a></h3>
    <dl class="facts">
      <dt>Release</dt><dd>${e.current ? e.current.release : 'none'}</dd>
      <dt>Digest</dt><dd><${Digest} value=${e.current?.digest} /></dd>
      <dt>Commit</dt><dd><code>${short(e.current?.commit)}</code></dd>
      <dt>Health</dt><dd>${e.instances.length === 0 ? 'no instance' : html`<span class=${e.healthy > 0 ? 'ok' : 'problem'}>${e.healthy} healthy</span> of ${e.instances.length} instance${e.instances.length === 1 ? '' : 's'}`}</dd>
      <dt>Traffic</dt><dd>${e.routes.map((r) => `${r.release} ${Math.round(r.weight * 100)}%`).join(', ') || '—'}</dd>
      <dt>In flight</dt><dd>${inFlight ? html`<a href=${linkOf(app, 'd', inFlight.id)}>${inFlight.id}</a> <${Badge} status=${inFlight.status} />` : e.lock ? `${e.lock.purpose} (${e.lock.holder})` : 'nothing'}</dd>
      <dt>Last deployment</dt><dd>${last ? html`<a href=${linkOf(app, 'd', last.id)}>${last.id}</a> v${last.release} <${Badge} status=${last.status} />` : '—'}</dd>
    </dl>
    ${canAct(session) ? html`<div class="actions">
      ${all.length > 1 && e.current ? html`<label>Promote to <select value=${to} onChange=${(ev: Event) => setTo((ev.target as HTMLSelectElement).value)}>${all.filter((x) => x !== e.env).map((x) => html`<option value=${x}>${x}</option>`)}</select></label>
        <${ActionButton} label=${`Promote ${e.env}`} kind="primary" run=${() => call('POST', `${api}/promotions`, { from: e.env, to }).then(reload)} />` : null}
      ${e.current ? html`<${ActionButton} label=${`Roll back ${e.env}`} kind="danger" confirm=${`Roll ${e.env} back to its previous release?`} run=${() => call('POST', `${api}/rollbacks`, { env: e.env }).then(reload)} />` : null}
    </div>` : null}
  </article>`;
};

export const EnvironmentsPage = ({ app, session }: { app: string; session: Session }): VNode => {
  const api = apiOf(app);
  const status = useLoad(() => get<StatusAnswer>(`${api}/status`), api);
  useLive(api, () => status.reload());
  const s = status.data;
  return html`<${Section} title="Environments">
    <${Problem} error=${status.error} />
    ${s === undefined ? html`<${Loading} failed=${status.error} />` : html`
      ${s.awaitingApproval.length > 0 ? html`<p class="notice">${s.awaitingApproval.length} deployment${s.awaitingApproval.length === 1 ? '' : 's'} awaiting approval: <a href=${linkOf(app, 'approvals')}>see approvals</a></p>` : null}
      ${s.environments.length === 0 ? html`<p>Nothing deployed yet: <code>slipway deploy ENV</code>.</p>` : html`<div class="cards">${s.environments.map((e) => html`<${EnvCard} key=${e.env} app=${app} e=${e} all=${s.environments.map((x) => x.env)} session=${session} reload=${status.reload} />`)}</div>`}
      <p class="muted">Runs in flight: ${s.activeRuns.join(', ') || 'none'} · deployments in flight: ${s.activeDeployments.join(', ') || 'none'}</p>`}
  </${Section}>`;
};

// ---------------------------------------------------------------------------------------------
// One environment and its deployments

const DeploymentsTable = ({ app, rows }: { app: string; rows: DeploymentJson[] }): VNode => html`<table>
  <thead><tr><th scope="col">Deployment</th><th scope="col">Env</th><th scope="col">Release</th><th scope="col">Status</th><th scope="col">Digest</th><th scope="col">Trigger</th><th scope="col">By</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
  <tbody>${rows.map((d) => html`<tr>
    <th scope="row"><a href=${linkOf(app, 'd', d.id)}>${d.id}</a></th><td>${d.env}</td><td>v${d.release}</td><td><${Badge} status=${d.status} />${d.rolled_back_to ? ` → v${d.rolled_back_to}` : ''}</td>
    <td><${Digest} value=${d.digest} /></td><td>${d.trigger}${d.forced ? ' (forced)' : ''}</td><td>${d.actor}</td><td>${when(d.started_at)}</td><td>${duration(d.started_at, d.finished_at)}</td>
  </tr>`)}</tbody>
</table>`;

export const EnvironmentPage = ({ app, env, session }: { app: string; env: string; session: Session }): VNode => {
  const api = apiOf(app);
  const data = useLoad(async () => {
    const [envs, deps] = await Promise.all([get<{ environments: Environment[] }>(`${api}/environments`), get<{ deployments: DeploymentJson[] }>(`${api}/deployments?env=${encodeURIComponent(env)}&limit=100`)]);
    return { envs: envs.environments, e: envs.environments.find((x) => x.env === env), deployments: deps.deployments };
  }, `${api}|${env}`);
  useLive(api, () => data.reload());
  const d = data.data;
  return html`<${Section} title=${`Environment ${env}`}>
    <${Problem} error=${data.error} />
    ${d === undefined ? html`<${Loading} failed=${data.error} />` : html`
      ${d.e ? html`<div class="cards"><${EnvCard} app=${app} e=${d.e} all=${d.envs.map((x) => x.env)} session=${session} reload=${data.reload} /></div>` : null}
      ${d.e && d.e.instances.length > 0 ? html`<h3>Instances</h3><table><thead><tr><th scope="col">Instance</th><th scope="col">Release</th><th scope="col">State</th><th scope="col">Port</th><th scope="col">Restarts</th></tr></thead>
        <tbody>${d.e.instances.map((i) => html`<tr><th scope="row">${i.id}</th><td>${i.release}</td><td><${Badge} status=${i.state} /></td><td>${i.port}</td><td>${i.restarts}</td></tr>`)}</tbody></table>` : null}
      <h3>Deployments</h3>
      <${DeploymentsTable} app=${app} rows=${d.deployments} />`}
  </${Section}>`;
};

export const DeploymentsPage = ({ app }: { app: string }): VNode => {
  const api = apiOf(app);
  const deps = useLoad(() => get<{ deployments: DeploymentJson[] }>(`${api}/deployments?limit=100`), api);
  useLive(api, () => deps.reload());
  return html`<${Section} title="Deployments"><${Problem} error=${deps.error} />${deps.data ? html`<${DeploymentsTable} app=${app} rows=${deps.data.deployments} />` : html`<${Loading} failed=${deps.error} />`}</${Section}>`;
};

// ---------------------------------------------------------------------------------------------
// One deployment: phases, verification chart, evidence, actions

interface StoredDeployment {
  id: string;
  env: string;
  release: number;
  digest: string;
  commit: string;
  actor: string;
  trigger: string;
  strategy: string;
  phase: string;
  startedAt: string;
  finishedAt?: string;
  reason?: string;
  rolledBackTo?: number;
  previousRelease?: number;
  forced: boolean;
  approvalDeadline?: string;
}

interface VerificationAnswer {
  windows: { action: number; label: string; release: string; windowStart: string; intervalMs: number | null; windowMs: number | null; decision: string | null; summary: string | null; requests: number | null; checks: CheckEvidence[]; series: SeriesPoint[] }[];
  verdictAt: string | null;
  rollingBackAt: string | null;
  restoredAt: string | null;
}

const VerificationWindow = ({ w, v }: { w: VerificationAnswer['windows'][number]; v: VerificationAnswer }): VNode => {
  const box = useRef<HTMLDivElement>(null);
  const firstBad = w.checks.map((c) => c.firstBadAt).filter((x): x is string => x !== null).sort()[0];
  const markers: Marker[] = [];
  if (firstBad) markers.push({ at: firstBad, label: 'first bad sample', color: '#c62828' });
  if (v.verdictAt && w.decision === 'fail') markers.push({ at: v.verdictAt, label: 'verdict', color: '#6a1b9a' });
  if (v.restoredAt && w.decision === 'fail') markers.push({ at: v.restoredAt, label: 'rolled back', color: '#2e7d32' });
  useEffect(() => {
    const el = box.current;
    if (!el || w.series.length === 0) return;
    el.replaceChildren();
    const chart: uPlot = verificationChart(el, w.series, w.checks, markers, Math.max(320, Math.min(el.clientWidth || 900, 1100)));
    return () => chart.destroy();
  }, [JSON.stringify(w), v.verdictAt, v.restoredAt]);
  const total = w.series.reduce((n, p) => n + p.requests, 0);
  const errors = w.series.reduce((n, p) => n + p.errors, 0);
  return html`<figure class="verification" data-window=${w.label}>
    <figcaption><strong>${w.label}</strong> (${w.release}) · window ${span(w.windowMs)}, every ${span(w.intervalMs)} · <${Badge} status=${w.decision ?? 'pending'} /> ${w.summary ?? ''}</figcaption>
    ${w.series.length === 0 ? html`<p class="muted">No request samples recorded for this window.</p>` : html`<div class="chart" ref=${box} role="img" aria-label=${`Error rate and p95 latency over the ${w.label} window: ${total} requests, ${errors} errors`}></div>`}
    <ul class="markers">
      <li>Window began ${clock(w.windowStart)}; ${total} requests, ${errors} errors</li>
      ${firstBad ? html`<li class="first-bad">First bad sample at ${clock(firstBad)}</li>` : null}
      ${v.verdictAt && w.decision === 'fail' ? html`<li>Verdict (failed) at ${clock(v.verdictAt)}</li>` : null}
      ${v.rollingBackAt && w.decision === 'fail' ? html`<li>Rollback began at ${clock(v.rollingBackAt)}</li>` : null}
      ${v.restoredAt && w.decision === 'fail' ? html`<li class="rollback-moment">Rolled back (traffic restored) at ${clock(v.restoredAt)}</li>` : null}
    </ul>
    <table class="evidence">
      <caption>Evidence: the checks</caption>
      <thead><tr><th scope="col">Check</th><th scope="col">Status</th><th scope="col">Observed</th><th scope="col">Threshold</th><th scope="col">Samples</th><th scope="col">First bad</th><th scope="col">Says</th></tr></thead>
      <tbody>${w.checks.map((c) => html`<tr><th scope="row"><code>${c.source}</code></th><td><${Badge} status=${c.status} /></td><td>${fmtUnit(c.observed, c.unit)}</td><td>${fmtUnit(c.threshold, c.unit)}</td><td>${c.samples}</td><td>${clock(c.firstBadAt)}</td><td>${c.message}</td></tr>`)}</tbody>
    </table>
  </figure>`;
};

const fmtUnit = (v: number | null, unit: string): string => (v === null ? '—' : unit === 'fraction' ? `${(v * 100).toFixed(2)}%` : unit === 'ms' ? `${Math.round(v)} ms` : String(Math.round(v * 1000) / 1000));

const APPROVE_KINDS = ['approve', 'reject'] as const;

const Decide = ({ api, id, reload }: { api: string; id: string; reload: () => void }): VNode => {
  const [comment, setComment] = useState('');
  return html`<div class="actions decide">
    <label>Comment <input type="text" maxlength="500" value=${comment} onInput=${(e: Event) => setComment((e.target as HTMLInputElement).value)} /></label>
    ${APPROVE_KINDS.map((v) => html`<${ActionButton} label=${v === 'approve' ? `Approve ${id}` : `Reject ${id}`} kind=${v === 'approve' ? 'primary' : 'danger'} run=${() => call('POST', `${api}/deployments/${id}/${v}`, comment ? { comment } : {}).then(reload)} />`)}
  </div>`;
};

export const DeploymentPage = ({ app, id, session }: { app: string; id: string; session: Session }): VNode => {
  const api = apiOf(app);
  const data = useLoad(async () => {
    const [d, v] = await Promise.all([get<{ deployment: StoredDeployment; events: EventRecord[] }>(`${api}/deployments/${encodeURIComponent(id)}`), get<VerificationAnswer>(`${api}/deployments/${encodeURIComponent(id)}/verification`)]);
    return { ...d, verification: v };
  }, `${api}|${id}`);
  useLive(api, () => data.reload(), `${api}/deployments/${encodeURIComponent(id)}/stream`);
  const d = data.data?.deployment;
  const events = data.data?.events ?? [];
  const v = data.data?.verification;
  const finished = d ? FINISHED.includes(d.phase) : true;
  return html`<${Section} title=${`Deployment ${id}`}>
    <${Problem} error=${data.error} />
    ${d === undefined || v === undefined ? html`<${Loading} failed=${data.error} />` : html`
      <dl class="facts wide">
        <dt>Status</dt><dd><span id="deployment-phase"><${Badge} status=${d.phase} /></span>${d.rolledBackTo ? ` → traffic back on v${d.rolledBackTo}` : ''}</dd>
        <dt>Environment</dt><dd><a href=${linkOf(app, 'env', d.env)}>${d.env}</a></dd>
        <dt>Release</dt><dd>v${d.release}${d.previousRelease ? ` (after v${d.previousRelease})` : ''}</dd>
        <dt>Digest</dt><dd><${Digest} value=${d.digest} /></dd>
        <dt>Commit</dt><dd><code>${short(d.commit)}</code></dd>
        <dt>Strategy</dt><dd>${d.strategy}</dd>
        <dt>Asked by</dt><dd>${d.actor} (${d.trigger}${d.forced ? ', forced' : ''})</dd>
        <dt>Started</dt><dd>${when(d.startedAt)}</dd>
        <dt>Finished</dt><dd>${when(d.finishedAt)} (${duration(d.startedAt, d.finishedAt)})</dd>
        ${d.reason ? html`<dt>Reason</dt><dd class="reason">${d.reason}</dd>` : null}
        ${d.approvalDeadline ? html`<dt>Approval deadline</dt><dd>${when(d.approvalDeadline)}</dd>` : null}
      </dl>
      ${canAct(session) ? html`<div class="actions">
        ${d.phase === 'awaiting_approval' && d.actor !== session.name ? html`<${Decide} api=${api} id=${d.id} reload=${data.reload} />` : null}
        ${!finished ? html`<${ActionButton} label=${d.phase === 'awaiting_approval' ? `Withdraw ${d.id}` : `Cancel ${d.id}`} kind="danger" confirm=${`Cancel ${d.id}?`} run=${() => call('POST', `${api}/deployments/${d.id}/cancel`, {}).then(data.reload)} />` : null}
        ${d.phase === 'succeeded' || d.phase === 'held' ? html`<${ActionButton} label=${`Roll back ${d.env}`} kind="danger" confirm=${`Roll ${d.env} back to its previous release?`} run=${() => call('POST', `${api}/rollbacks`, { env: d.env }).then(data.reload)} />` : null}
      </div>` : null}
      <h3>Phases</h3>
      <ol class="phases">${events.map((e) => html`<li data-kind=${e.kind}><time datetime=${e.at}>${clock(e.at)}</time> <strong>${phaseLabel(e)}</strong> <span class="muted">${e.actor}</span>${phaseDetail(e)}</li>`)}</ol>
      <h3>Verification</h3>
      ${v.windows.length === 0 ? html`<p class="muted">${finished ? 'This deployment had no verification window.' : 'No verification window has started yet.'}</p>` : v.windows.map((w) => html`<${VerificationWindow} key=${w.action} w=${w} v=${v} />`)}`}
  </${Section}>`;
};

const phaseLabel = (e: EventRecord): string => (e.kind === 'deployment.phase' ? `→ ${String(e.data.phase).replace(/_/g, ' ')}` : e.kind.replace(/^deployment\./, '').replace(/_/g, ' '));

const phaseDetail = (e: EventRecord): VNode | null => {
  const bits: string[] = [];
  for (const k of ['release', 'label', 'to', 'reason', 'decision', 'comment', 'why'] as const) {
    const v = e.data[k];
    if (typeof v === 'string' || typeof v === 'number') bits.push(`${k}: ${v}`);
  }
  const report = e.data.report as { summary?: string } | undefined;
  if (report?.summary) bits.push(report.summary);
  return bits.length ? html` <span class="detail">${bits.join(' · ')}</span>` : null;
};

// ---------------------------------------------------------------------------------------------
// Runs and their live logs

interface RunRecord {
  id: string;
  commit: string;
  ref: string;
  message: string;
  author: string;
  trigger: string;
  actor: string;
  status: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  digest?: string;
  reason?: string;
}

interface StepRecord {
  name: string;
  kind: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
}

export const RunsPage = ({ app }: { app: string }): VNode => {
  const api = apiOf(app);
  const runs = useLoad(() => get<{ runs: RunRecord[] }>(`${api}/runs?limit=50`), api);
  useLive(api, () => runs.reload());
  return html`<${Section} title="Runs">
    <${Problem} error=${runs.error} />
    ${runs.data === undefined ? html`<${Loading} failed=${runs.error} />` : html`<table>
      <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Commit</th><th scope="col">Message</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Artifact</th></tr></thead>
      <tbody>${runs.data.runs.map((r) => html`<tr><th scope="row"><a href=${linkOf(app, 'run', r.id)}>${r.id}</a></th><td><${Badge} status=${r.status} /></td><td><code>${short(r.commit)}</code></td><td>${r.message}</td><td>${r.trigger} (${r.actor})</td><td>${when(r.startedAt ?? r.createdAt)}</td><td>${duration(r.startedAt, r.finishedAt)}</td><td><${Digest} value=${r.digest} /></td></tr>`)}</tbody>
    </table>`}
  </${Section}>`;
};

interface LogLine {
  seq: number;
  step: string;
  stream: string;
  line: string;
}

export const RunPage = ({ app, id, session }: { app: string; id: string; session: Session }): VNode => {
  const api = apiOf(app);
  const run = useLoad(() => get<{ run: RunRecord; steps: StepRecord[] }>(`${api}/runs/${encodeURIComponent(id)}`), `${api}|${id}`);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [following, setFollowing] = useState(false);
  useEffect(() => {
    setLines([]);
    const ac = new AbortController();
    const seen = new Set<number>();
    void follow(`${api}/runs/${encodeURIComponent(id)}/logs/stream`, {
      signal: ac.signal,
      onState: setFollowing,
      onEvent: (e) => {
        if (e.event === 'log') {
          const l = e.data as LogLine;
          if (seen.has(l.seq)) return;
          seen.add(l.seq);
          setLines((xs) => [...xs, l]);
        } else if (e.event === 'end') run.reload();
      },
    }).catch(() => setFollowing(false));
    return () => ac.abort();
  }, [api, id]);
  useLive(api, () => run.reload());
  const r = run.data?.run;
  return html`<${Section} title=${`Run ${id}`}>
    <${Problem} error=${run.error} />
    ${r === undefined ? html`<${Loading} failed=${run.error} />` : html`
      <dl class="facts wide">
        <dt>Status</dt><dd><${Badge} status=${r.status} />${r.reason ? ` ${r.reason}` : ''}</dd>
        <dt>Commit</dt><dd><code>${short(r.commit)}</code> ${r.message} (${r.author})</dd>
        <dt>Ref</dt><dd>${r.ref}</dd>
        <dt>Started</dt><dd>${when(r.startedAt ?? r.createdAt)} (${duration(r.startedAt, r.finishedAt)})</dd>
        <dt>Artifact</dt><dd><${Digest} value=${r.digest} /></dd>
      </dl>
      ${canAct(session) && !['passed', 'failed', 'canceled'].includes(r.status) ? html`<div class="actions"><${ActionButton} label=${`Cancel ${r.id}`} kind="danger" confirm=${`Cancel ${r.id}?`} run=${() => call('POST', `${api}/runs/${r.id}/cancel`, {}).then(run.reload)} /></div>` : null}
      <h3>Steps</h3>
      <table><thead><tr><th scope="col">Step</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Took</th></tr></thead>
        <tbody>${(run.data?.steps ?? []).map((s) => html`<tr><th scope="row">${s.name}</th><td>${s.kind}</td><td><${Badge} status=${s.status} /></td><td>${duration(s.startedAt, s.finishedAt)}</td></tr>`)}</tbody></table>`}
    <h3>Log ${following ? html`<span class="badge busy">following</span>` : null}</h3>
    <pre class="log" tabindex="0" aria-label="Run log" aria-live="polite">${lines.map((l) => html`<span class=${`line ${l.stream}`}><span class="step">${l.step}</span> ${l.line}\n</span>`)}</pre>
  </${Section}>`;
};

// ---------------------------------------------------------------------------------------------
// The merge queue

interface QueueItem {
  id: string;
  state: string;
  source: string;
  branch: string;
  sha: string;
  subject: string;
  author: string;
  actor: string;
  runIds: string[];
  mergedAs?: string;
  digest?: string;
  report?: { kind: string; message: string; step?: string; output?: string[]; files?: string[]; runId?: string };
}

const Report = ({ app, report }: { app: string; report: NonNullable<QueueItem['report']> }): VNode => html`<div class="report">
  <p><strong>${report.kind}</strong>: ${report.message}</p>
  ${report.runId ? html`<p>Run: <a href=${linkOf(app, 'run', report.runId)}>${report.runId}</a>${report.step ? `, step ${report.step}` : ''}</p>` : null}
  ${report.files?.length ? html`<p>Conflicting files: ${report.files.join(', ')}</p>` : null}
  ${report.output?.length ? html`<pre class="log" tabindex="0">${report.output.join('\n')}</pre>` : null}
</div>`;

export const QueuePage = ({ app }: { app: string }): VNode => {
  const api = apiOf(app);
  const q = useLoad(() => get<{ items: QueueItem[]; main?: { sha?: string } | null }>(`${api}/queue?limit=100`), api);
  useLive(api, () => q.reload());
  return html`<${Section} title="Merge queue">
    <${Problem} error=${q.error} />
    ${q.data === undefined ? html`<${Loading} failed=${q.error} />` : q.data.items.length === 0 ? html`<p>The queue is empty: <code>slipway merge BRANCH</code> or push to <code>refs/for/main</code>.</p>` : html`<table>
      <thead><tr><th scope="col">Item</th><th scope="col">State</th><th scope="col">Branch</th><th scope="col">Change</th><th scope="col">By</th><th scope="col">Runs</th><th scope="col">Report</th></tr></thead>
      <tbody>${q.data.items.map((i) => html`<tr><th scope="row"><a href=${linkOf(app, 'queue', i.id)}>${i.id}</a></th><td><${Badge} status=${i.state} /></td><td>${i.branch}</td><td><code>${short(i.sha)}</code> ${i.subject}</td><td>${i.actor}</td>
        <td>${i.runIds.map((r) => html`<a href=${linkOf(app, 'run', r)}>${r}</a> `)}</td><td>${i.report ? i.report.message : '—'}</td></tr>`)}</tbody>
    </table>`}
  </${Section}>`;
};

export const QueueItemPage = ({ app, id }: { app: string; id: string }): VNode => {
  const api = apiOf(app);
  const q = useLoad(() => get<{ item: QueueItem; runs: RunRecord[] }>(`${api}/queue/${encodeURIComponent(id)}`), `${api}|${id}`);
  useLive(api, () => q.reload());
  const i = q.data?.item;
  return html`<${Section} title=${`Queue item ${id}`}>
    <${Problem} error=${q.error} />
    ${i === undefined ? html`<${Loading} failed=${q.error} />` : html`<dl class="facts wide">
        <dt>State</dt><dd><${Badge} status=${i.state} /></dd>
        <dt>Change</dt><dd><code>${short(i.sha)}</code> ${i.subject} (${i.author})</dd>
        <dt>Branch</dt><dd>${i.branch} (${i.source})</dd>
        <dt>Merged as</dt><dd><code>${short(i.mergedAs)}</code></dd>
        <dt>Artifact</dt><dd><${Digest} value=${i.digest} /></dd>
      </dl>
      <h3>Report</h3>${i.report ? html`<${Report} app=${app} report=${i.report} />` : html`<p class="muted">No report: nothing sent it back.</p>`}
      <h3>Runs</h3><ul>${(q.data?.runs ?? []).map((r) => html`<li><a href=${linkOf(app, 'run', r.id)}>${r.id}</a> <${Badge} status=${r.status} /></li>`)}</ul>`}
  </${Section}>`;
};

// ---------------------------------------------------------------------------------------------
// Approvals waiting

export const ApprovalsPage = ({ app, session }: { app: string; session: Session }): VNode => {
  const api = apiOf(app);
  const status = useLoad(() => get<StatusAnswer>(`${api}/status`), api);
  useLive(api, () => status.reload());
  const waiting = status.data?.awaitingApproval;
  return html`<${Section} title="Approvals waiting">
    <${Problem} error=${status.error} />
    ${waiting === undefined ? html`<${Loading} failed=${status.error} />` : waiting.length === 0 ? html`<p>No deployment is waiting for an approval.</p>` : html`<ul class="approvals">${waiting.map((d) => html`<li class="card" data-deployment=${d.id}>
      <p><a href=${linkOf(app, 'd', d.id)}>${d.id}</a>: v${d.release} to <strong>${d.env}</strong>, asked for by ${d.actor} at ${when(d.started_at)} · <${Digest} value=${d.digest} />${d.approval_deadline ? ` · rejected by itself at ${when(d.approval_deadline)}` : ''}</p>
      ${canAct(session) ? d.actor === session.name ? html`<p class="muted">You asked for it: someone else decides.</p>` : html`<${Decide} api=${api} id=${d.id} reload=${status.reload} />` : null}
    </li>`)}</ul>`}
  </${Section}>`;
};

// ---------------------------------------------------------------------------------------------
// The audit trail

export const AuditPage = ({ app }: { app: string }): VNode => {
  const api = apiOf(app);
  const [subject, setSubject] = useState('');
  const events = useLoad(async () => {
    const all: EventRecord[] = [];
    for (;;) {
      const page = await get<{ events: EventRecord[] }>(`${api}/events?after=${all[all.length - 1]?.seq ?? 0}&limit=10000${subject ? `&subject=${encodeURIComponent(subject)}` : ''}`);
      all.push(...page.events);
      if (page.events.length < 10000) break;
    }
    const chain = await get<{ chain: { ok: boolean; checked?: number; brokenAt?: number } }>(`${api}/events/verify`).catch(() => undefined);
    return { events: all.slice(-500).reverse(), total: all.length, chain: chain?.chain };
  }, `${api}|${subject}`);
  useLive(api, () => events.reload());
  return html`<${Section} title="Audit trail">
    <form class="filter" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Subject <input type="search" placeholder="d3, r12, production, a token name…" value=${subject} onChange=${(e: Event) => setSubject((e.target as HTMLInputElement).value.trim())} /></label>
    </form>
    <${Problem} error=${events.error} />
    ${events.data === undefined ? html`<${Loading} failed=${events.error} />` : html`
      <p class="muted">${events.data.total} event${events.data.total === 1 ? '' : 's'}${events.data.total > 500 ? ', the newest 500 shown' : ''}; hash chain: ${events.data.chain ? events.data.chain.ok ? html`<span class="ok">intact</span>` : html`<span class="problem">broken${events.data.chain.brokenAt ? ` at ${events.data.chain.brokenAt}` : ''}</span>` : 'unknown'}</p>
      <table class="audit">
        <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Event</th><th scope="col">Subject</th><th scope="col">Details</th></tr></thead>
        <tbody>${events.data.events.map((e) => html`<tr><td>${e.seq}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.kind}</td><td>${/^d\d+$/.test(e.subject) ? html`<a href=${linkOf(app, 'd', e.subject)}>${e.subject}</a>` : /^r\d+$/.test(e.subject) ? html`<a href=${linkOf(app, 'run', e.subject)}>${e.subject}</a>` : e.subject}</td><td class="detail">${details(e.data)}</td></tr>`)}</tbody>
      </table>`}
  </${Section}>`;
};

/** An event's data in one line, long values cut (the whole record is in the API). */
const details = (data: Record<string, unknown>): string =>
  Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v).slice(0, 120)}`)
    .join(' · ');

// ---------------------------------------------------------------------------------------------
// DORA

interface Spread {
  count: number;
  medianMs: number;
}

interface DoraFigures {
  env: string;
  since: string;
  until: string;
  deploymentFrequency: { delivered: number; perDay: number };
  leadTime: Spread | null;
  changeFailureRate: { failed: number; changes: number; rate: number } | null;
  timeToRestore: Spread | null;
  series?: DoraFigures[];
}

const DoraChart = ({ title, at, values, unit }: { title: string; at: string[]; values: (number | null)[]; unit: string }): VNode => {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.replaceChildren();
    const chart = figureChart(el, title, at, values, unit, Math.max(260, Math.min(el.clientWidth || 420, 520)));
    return () => chart.destroy();
  }, [title, JSON.stringify(values), JSON.stringify(at)]);
  return html`<div class="chart small" ref=${box} role="img" aria-label=${`${title} per period: ${values.map((v) => (v === null ? 'none' : String(Math.round(v * 100) / 100))).join(', ')} ${unit}`}></div>`;
};

const SINCE = { '4 weeks': ['28d', 'day'], '12 weeks': ['12w', 'week'], '1 year': ['52w', 'week'] } as const;

export const DoraPage = ({ app }: { app: string }): VNode => {
  const api = apiOf(app);
  const [range, setRange] = useState<keyof typeof SINCE>('12 weeks');
  const [since, every] = SINCE[range];
  const dora = useLoad(() => get<{ since: string; until: string; environments: DoraFigures[] }>(`${api}/dora?since=${since}&every=${every}`), `${api}|${range}`);
  return html`<${Section} title="DORA figures">
    <p class="muted">How often changes reach each environment, how long they take from first commit to verified, how many fail, and how soon service is restored (the definitions are in docs/dora.md).</p>
    <label>Period <select value=${range} onChange=${(e: Event) => setRange((e.target as HTMLSelectElement).value as keyof typeof SINCE)}>${Object.keys(SINCE).map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
    <${Problem} error=${dora.error} />
    ${dora.data === undefined ? html`<${Loading} failed=${dora.error} />` : dora.data.environments.length === 0 ? html`<p>No environment has deployments yet.</p>` : dora.data.environments.map((f) => {
      const s = f.series ?? [];
      const at = s.map((x) => x.since);
      return html`<article class="dora" aria-labelledby=${`dora-${f.env}`}>
        <h3 id=${`dora-${f.env}`}>${f.env}</h3>
        <dl class="facts">
          <dt>Deployment frequency</dt><dd>${f.deploymentFrequency.delivered} delivered, ${f.deploymentFrequency.perDay.toFixed(2)} a day</dd>
          <dt>Lead time for changes</dt><dd>${f.leadTime ? `median ${span(f.leadTime.medianMs)} over ${f.leadTime.count}` : '—'}</dd>
          <dt>Change failure rate</dt><dd>${f.changeFailureRate ? `${(f.changeFailureRate.rate * 100).toFixed(1)}% (${f.changeFailureRate.failed} of ${f.changeFailureRate.changes})` : '—'}</dd>
          <dt>Time to restore</dt><dd>${f.timeToRestore ? `median ${span(f.timeToRestore.medianMs)} over ${f.timeToRestore.count}` : '—'}</dd>
        </dl>
        <div class="charts">
          <${DoraChart} title="Deployments" at=${at} values=${s.map((x) => x.deploymentFrequency.delivered)} unit="count" />
          <${DoraChart} title="Lead time (median)" at=${at} values=${s.map((x) => (x.leadTime ? x.leadTime.medianMs / 3_600_000 : null))} unit="hours" />
          <${DoraChart} title="Change failure rate" at=${at} values=${s.map((x) => (x.changeFailureRate ? x.changeFailureRate.rate * 100 : null))} unit="%" />
          <${DoraChart} title="Time to restore (median)" at=${at} values=${s.map((x) => (x.timeToRestore ? x.timeToRestore.medianMs / 60_000 : null))} unit="minutes" />
        </div>
      </article>`;
    })}
  </${Section}>`;
};
