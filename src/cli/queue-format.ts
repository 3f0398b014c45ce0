// How the CLI prints the merge queue: the list, one item with its report, and the lines that tell
// a developer what to do next.
import { describeRetry, formatReport } from '../core/queue/report.js';
import type { MainMove, QueueBatch, QueueItem } from '../core/queue/types.js';
import type { RunRecord } from '../core/run.js';
import { table } from './table.js';

export interface QueueList {
  items: QueueItem[];
  main?: string;
  batchCap: number;
  canonical: string;
  /** Set while the queue is stopped because main moved and not by the queue. */
  halted?: MainMove | null;
}

export interface ItemView {
  item: QueueItem;
  batch?: QueueBatch;
  runs: RunRecord[];
}

const short = (sha: string | undefined): string => (sha ? sha.slice(0, 12) : '-');

/** What an item's line says after its state: the reason, or where it went. */
const outcome = (i: QueueItem): string => {
  if (i.state === 'merged') return `main ${short(i.mergedAs)}`;
  if (i.report) return i.report.message;
  if (i.state === 'testing') return `testing${i.chunk ? ' (bisecting)' : ''}`;
  return i.subject;
};

export const formatQueue = (q: QueueList): string => {
  const stopped = q.halted ? `STOPPED (since ${q.halted.detectedAt}): ${q.halted.message}\n\n` : '';
  const head = `${stopped}main ${short(q.main)} · batches of up to ${q.batchCap} · ${q.canonical}\n`;
  if (q.items.length === 0) return `${head}the queue is empty: queue a branch with \`slipway merge BRANCH\`, or \`git push <remote> HEAD:refs/for/main\`\n`;
  const rows = q.items.map((i) => [i.id, i.state, i.branch, short(i.sha), i.batchId ?? '-', i.runIds.join(',') || '-', `${outcome(i)}${i.retries.length ? ` [${i.retries.length} retried step(s)]` : ''}`]);
  return head + table(['ITEM', 'STATE', 'BRANCH', 'COMMIT', 'BATCH', 'RUNS', 'OUTCOME'], rows);
};

/** The item in full: what it is, how it was tested, its report, its retries, what to do next. */
export const formatItem = (v: ItemView, canonical?: string): string => {
  const { item } = v;
  const lines = [
    `${item.id} ${item.state}: ${item.branch} at ${short(item.sha)} (${item.subject}) by ${item.author}, queued by ${item.actor} ${item.createdAt}`,
  ];
  if (v.batch) lines.push(`  batch ${v.batch.id}: ${v.batch.items.join(', ')} on main ${short(v.batch.base)} as ${short(v.batch.tip)} (${v.batch.state})`);
  for (const r of v.runs) lines.push(`  run ${r.id}: ${r.status}${r.digest ? ` · artifact ${r.digest}` : ''}${r.reason && r.status !== 'passed' ? ` · ${r.reason.split('\n')[0]}` : ''}`);
  for (const r of item.retries) lines.push(`  retried: ${describeRetry(r)}`);
  if (item.state === 'merged') {
    lines.push(`  main is now ${short(item.mergedAs)}, the exact commit that was tested; its artifact ${item.digest ?? '(none)'} is what is released`);
    if (canonical) lines.push(`  update your working copy: git pull ${canonical} main   (also fetched into your repository as slipway/main)`);
  }
  if (item.report) lines.push(...formatReport(item.report).map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
};
