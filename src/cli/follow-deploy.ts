// Following a deployment: its events as they happen, then the outcome as the exit code.
import { continueCommand } from '../core/deployment/failure.js';
import type { StoredEvent } from '../core/events/chain.js';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import type { StoredDeployment } from '../ports/store.js';
import type { CliContext } from './context.js';

type Item = { type: 'snapshot'; deployment: StoredDeployment } | { type: 'event'; event: StoredEvent } | { type: 'end'; deployment: StoredDeployment };

/** A scalar from event data as text (objects are never expected here). */
const str = (x: unknown): string => (typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : JSON.stringify(x));
const v = (n: unknown): string => (typeof n === 'number' ? `v${n}` : str(n));
const short = (d: unknown): string => (typeof d === 'string' ? d.slice(0, 19) : '');

interface CheckLine {
  source: string;
  status: string;
  observed?: number;
  threshold?: number;
  unit: string;
  samples: number;
  pValue?: number;
  firstBadAt?: number;
  message: string;
}

const amount = (v: number | undefined, unit: string): string =>
  v === undefined ? '—' : unit === 'fraction' ? `${(v * 100).toFixed(2)}%` : unit === 'ms' ? `${v.toFixed(1)} ms` : unit === 'per_minute' ? `${v.toFixed(1)}/min` : String(Math.round(v * 1000) / 1000);

/** The evidence of a verification: its summary, then one line per check. */
export const describeReport = (report: unknown): string => {
  const r = report as { summary?: string; requests?: number; checks?: CheckLine[] } | undefined;
  if (!r?.checks) return 'no report';
  const lines = r.checks.map(
    (c) =>
      `\n      ${c.status.toUpperCase().padEnd(7)} ${c.source}: observed ${amount(c.observed, c.unit)}${c.threshold === undefined ? '' : ` vs ${amount(c.threshold, c.unit)}`}, ${c.samples} samples${c.pValue === undefined ? '' : `, p=${c.pValue.toExponential(2)}`}${c.firstBadAt ? `, first bad at ${new Date(c.firstBadAt).toISOString().slice(11, 23)}` : ''} — ${c.message}`,
  );
  return `${r.summary ?? ''} (${r.requests ?? 0} requests)${lines.join('')}`;
};

/** One human line per deployment event. */
export const describeEvent = (e: StoredEvent): string => {
  const x = e.data;
  switch (e.kind) {
    case 'deployment.created':
      return `${e.subject}: ${String(x.trigger)} of ${String(x.env)} ${String(x.release)} ← ${short(x.digest)} (commit ${String(x.commit).slice(0, 10)})${x.previous ? `, replacing ${str(x.previous)}` : ''}${Array.isArray(x.forced) ? ` [FORCED: ${x.forced.join('; ')}]` : ''}`;
    case 'deployment.starting':
      return `starting ${v(x.release)}: ${String(x.instances)} instance(s)`;
    case 'deployment.healthy':
      return `${v(x.release)} healthy: ${(x.instances as { id: string; port: number }[]).map((i) => `${i.id} on :${i.port}`).join(', ')}`;
    case 'deployment.routed':
      return `routed ${String(x.label)}: ${(x.weights as { release: string; weight: number }[]).map((w) => `${w.release} ${Math.round(w.weight * 100)}%`).join(', ')} on :${String(x.port)} (${String(x.switchMs)} ms)`;
    case 'deployment.verifying':
      return `verifying ${str(x.release)} (${str(x.label)}) for ${Number(x.windowMs) / 1000}s${Array.isArray(x.checks) ? `: ${x.checks.map(str).join(', ')}${x.minSamples ? `, at least ${str(x.minSamples)} requests` : ''}` : ''}`;
    case 'deployment.probing':
      return `too little traffic to judge ${str(x.release)}: sending synthetic requests (${str(x.perInterval)} in the first interval)`;
    case 'deployment.verified':
      return `${str(x.release)} verified (${str(x.label)}): ${describeReport(x.report)}`;
    case 'deployment.verification_failed':
      return `${str(x.release)} FAILED verification (${str(x.label)}): ${describeReport(x.report)}`;
    case 'deployment.restored':
      return `traffic restored to ${str(x.to)} ${str(x.msFromVerdict)} ms after the verdict`;
    case 'deployment.retired':
      return `retired ${(x.releases as string[]).join(', ')}`;
    case 'deployment.phase':
      return `→ ${str(x.phase)}${x.reason ? `: ${str(x.reason)}` : ''}`;
    case 'deployment.held':
      return `HELD (rollback: manual): ${str(x.release)} keeps serving as it was — ${(x.routes as { release: string; weight: number }[]).map((w) => `${w.release} ${Math.round(w.weight * 100)}%`).join(', ')}`;
    case 'deployment.awaiting_approval':
      return `AWAITING APPROVAL: ${str(x.release)} starts once someone other than ${str(x.requester)} runs \`slipway approve ${e.subject}\` (or \`reject\`)${x.deadline ? `; rejected at ${str(x.deadline)} if nobody decides (approval_timeout ${str(x.timeout)})` : ''}`;
    case 'deployment.decided':
      switch (x.decision) {
        case 'continue':
          return `continued by ${str(x.by)}${x.skipped ? ` past the failed verification (${str(x.skipped)})` : ''}`;
        case 'approve':
        case 'reject':
          return `${x.decision === 'approve' ? 'approved' : 'rejected'} by ${str(x.by)}${x.comment ? `: ${str(x.comment)}` : ''}`;
        case 'withdraw':
          return `withdrawn by ${str(x.by)}`;
        default:
          return `rollback asked for by ${str(x.by)}${x.cause ? `: ${str(x.cause)}` : ''}`;
      }
    case 'deployment.digest_marked_bad':
      return `digest ${short(x.digest)} marked bad: it is not deployed again without --force`;
    case 'deployment.resumed':
      return `resumed after a control-plane restart (was ${String(x.phase)})`;
    default:
      return `${e.kind} ${JSON.stringify(x)}`;
  }
};

/**
 * Streams a deployment's events until it ends. `summaryFollows`: the caller prints the summary
 * (summariseDeployment), so a reason of several lines (a failed start's report) is shown there
 * once, and the events give only its first line.
 */
export const followDeployment = async (ctx: CliContext, id: string, opts: { json: boolean; summaryFollows?: boolean }): Promise<StoredDeployment> => {
  const client = await ctx.client();
  let canceling = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (canceling) return;
    canceling = true;
    ctx.err(`\n${sig}: canceling ${id}; the previous release keeps serving…\n`);
    client.request('POST', `/v1/deployments/${id}/cancel`).catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let end: StoredDeployment | undefined;
  try {
    for await (const item of client.stream<Item>(`/v1/deployments/${id}/stream`)) {
      if (item.type === 'event' && !opts.json) ctx.out(`${item.event.at.slice(11, 23)} ${describeEvent(opts.summaryFollows === true ? firstLineOfReason(item.event) : item.event)}\n`);
      if (item.type === 'end') end = item.deployment;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!end) end = (await client.request<{ deployment: StoredDeployment }>('GET', `/v1/deployments/${id}`)).deployment;
  return end;
};

/** The event with only the first line of its reason, marked as continued in the summary. */
const firstLineOfReason = (e: StoredEvent): StoredEvent => {
  const reason = e.data.reason;
  if (typeof reason !== 'string' || !reason.includes('\n')) return e;
  return { ...e, data: { ...e.data, reason: `${reason.slice(0, reason.indexOf('\n'))} (the full report is below)` } };
};

/**
 * 0 succeeded, 130 canceled, 1 otherwise (failed, rolled back, held). `rollingBack`: the command
 * was a rollback, so a held deployment that ends rolled back is its success.
 */
export const deploymentExitCode = (d: StoredDeployment, rollingBack = false): number =>
  d.phase === 'succeeded' || (rollingBack && d.phase === 'rolled_back' && d.trigger !== 'rollback') ? 0 : d.phase === 'canceled' ? 130 : 1;


export const summariseDeployment = (ctx: CliContext, d: StoredDeployment): void => {
  const took = d.finishedAt ? ` in ${((Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 1000).toFixed(1)}s` : '';
  if (d.phase === 'succeeded') ctx.out(`\n✔ ${d.id} succeeded${took}: ${d.env} is on v${d.release} (${d.digest})\n`);
  else if (d.phase === 'held') {
    const back = d.previousRelease === undefined ? 'stops serving it' : `goes back to v${d.previousRelease}`;
    ctx.err(
      `\n⏸ ${d.id} held: v${d.release} failed its verification and keeps serving as it was (rollback: manual in ${d.env}) (details: slipway logs ${d.id})\n${d.reason ? `${d.reason}\n` : ''}` +
        `next: \`slipway rollback ${d.env}\` ${back}; \`${continueCommand(d)}\` carries on past the failed verification\n`,
    );
  }
  // The reason last: a failed start's report ends with the most likely fix.
  else ctx.err(`\n✖ ${d.id} ${d.phase}${took}${d.rolledBackTo ? `; ${d.env} is back on v${d.rolledBackTo}` : ''} (details: slipway logs ${d.id})\n${d.reason ? `${d.reason}\n` : ''}`);
};

/**
 * Starts a deployment through `path`, waiting for the environment's lock unless `noWait` (then a
 * held lock is exit 3), and follows it unless `detach`.
 */
export const startAndFollow = async (ctx: CliContext, path: string, body: unknown, opts: { json: boolean; noWait: boolean; detach: boolean; rollingBack?: boolean }): Promise<number> => {
  const client = await ctx.client();
  let waitingSaid = false;
  let d: StoredDeployment;
  for (;;) {
    try {
      const r = await client.request<{ deployment: StoredDeployment | null; note?: string; noop?: string; release?: number }>('POST', path, body);
      if (r.deployment === null) {
        // Already serving: exit 0, no new release.
        ctx.out(opts.json ? `${JSON.stringify({ deployment: null, noop: r.noop, release: r.release })}\n` : `${r.noop ?? 'nothing to deploy'}\n`);
        return 0;
      }
      if (r.note !== undefined && !opts.json) ctx.out(`${r.note}\n`);
      d = r.deployment;
      break;
    } catch (e) {
      if (!isSlipwayError(e) || e.code !== 'conflict' || opts.noWait) throw e;
      if (!waitingSaid) ctx.err(`waiting: ${e.message}\n`);
      waitingSaid = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  if (opts.detach) {
    ctx.out(opts.json ? `${JSON.stringify({ deployment: d })}\n` : `${d.id}\n`);
    return 0;
  }
  const end = await followDeployment(ctx, d.id, { json: opts.json, summaryFollows: !opts.json });
  if (opts.json) ctx.out(`${JSON.stringify(end, null, 2)}\n`);
  else if (opts.rollingBack === true && end.phase === 'rolled_back' && end.trigger !== 'rollback') {
    ctx.out(`\n✔ ${end.id} rolled back: ${end.env} is ${end.rolledBackTo === undefined ? 'not served' : `back on v${end.rolledBackTo}`}\n`);
  } else summariseDeployment(ctx, end);
  return deploymentExitCode(end, opts.rollingBack === true);
};

export const parseReleaseArg = (raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const m = /^v?(\d+)$/.exec(raw);
  if (!m) throw new SlipwayError('usage', `--to takes a release such as v3, not "${raw}"`);
  return Number(m[1]);
};
