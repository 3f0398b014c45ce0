// The dashboard's charts, drawn by uPlot: a deployment's verification window (error rate and
// latency per interval, the checks' thresholds, the first bad sample, the verdict and the
// rollback) and the DORA figures over time. Each chart has a text summary beside it too, so the
// figures are readable without the canvas.
import uPlot from 'uplot';

export interface SeriesPoint {
  at: string;
  requests: number;
  errors: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface CheckEvidence {
  id: string;
  source: string;
  status: string;
  unit: string;
  observed: number | null;
  threshold: number | null;
  samples: number;
  firstBadAt: string | null;
  message: string;
}

export interface Marker {
  at: string;
  label: string;
  color: string;
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

const COLORS = { errors: '#c62828', latency: '#1565c0', threshold: '#6d4c41', grid: '#e0e0e0' };

/**
 * Vertical lines at given times, each labelled near the top of the plot: one label a line down from
 * the one before (moments seconds apart would write over each other), left of its line when it
 * would run past the plot's right edge.
 */
const markersPlugin = (markers: Marker[]): uPlot.Plugin => ({
  hooks: {
    draw: [
      (u: uPlot) => {
        const ctx = u.ctx;
        ctx.save();
        for (const [i, m] of markers.entries()) {
          const x = u.valToPos(seconds(m.at), 'x', true);
          if (!Number.isFinite(x)) continue;
          ctx.strokeStyle = m.color;
          ctx.fillStyle = m.color;
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
          const y = u.bbox.top + 14 * (i + 1) * devicePixelRatio;
          const leftward = x + 4 * devicePixelRatio + ctx.measureText(m.label).width > u.bbox.left + u.bbox.width;
          ctx.textAlign = leftward ? 'right' : 'left';
          ctx.fillText(m.label, leftward ? x - 4 * devicePixelRatio : x + 4 * devicePixelRatio, y);
        }
        ctx.restore();
      },
    ],
  },
});

/** Which checks draw a threshold line on which axis: rates on the % axis, latencies on the ms axis. */
interface Line {
  label: string;
  scale: 'pct' | 'ms';
  value: number;
}

const thresholdLines = (checks: CheckEvidence[]): Line[] =>
  checks.flatMap((c): Line[] => {
    if (c.threshold === null) return [];
    if (c.unit === 'fraction') return [{ label: `threshold: ${c.source}`, scale: 'pct', value: c.threshold * 100 }];
    if (c.unit === 'ms') return [{ label: `threshold: ${c.source}`, scale: 'ms', value: c.threshold }];
    return [];
  });

export const verificationChart = (target: HTMLElement, points: SeriesPoint[], checks: CheckEvidence[], markers: Marker[], width: number): uPlot => {
  const xs = points.map((p) => seconds(p.at));
  const lines = thresholdLines(checks);
  const data: uPlot.AlignedData = [
    xs,
    points.map((p) => (p.errorRate === null ? null : p.errorRate * 100)),
    points.map((p) => p.p95Ms),
    ...lines.map((l) => xs.map(() => l.value)),
  ];
  // The x range covers the markers too (a rollback after the last bucket).
  const times = [...xs, ...markers.map((m) => seconds(m.at))].filter(Number.isFinite);
  const lo = Math.min(...times);
  const hi = Math.max(...times, lo + 1);
  const opts: uPlot.Options = {
    width,
    height: 280,
    scales: { x: { time: true, range: [lo, hi] }, pct: { range: (_u, _min, max) => [0, Math.max(5, (max ?? 0) * 1.15)] }, ms: { range: (_u, _min, max) => [0, Math.max(10, (max ?? 0) * 1.15)] } },
    axes: [
      { grid: { stroke: COLORS.grid } },
      { scale: 'pct', label: 'error rate (%)', stroke: COLORS.errors, grid: { stroke: COLORS.grid } },
      { scale: 'ms', label: 'p95 latency (ms)', side: 1, stroke: COLORS.latency, grid: { show: false } },
    ],
    series: [
      { label: 'time' },
      { label: 'error rate (%)', scale: 'pct', stroke: COLORS.errors, width: 2, points: { show: true } },
      { label: 'p95 latency (ms)', scale: 'ms', stroke: COLORS.latency, width: 2, points: { show: true } },
      ...lines.map((l) => ({ label: l.label, scale: l.scale, stroke: l.scale === 'pct' ? COLORS.errors : COLORS.latency, dash: [4, 4], width: 1, points: { show: false } })),
    ],
    plugins: [markersPlugin(markers)],
  };
  return new uPlot(opts, data, target);
};

/** A small chart of one figure over time (DORA): bars of a count, or a line of a duration or a rate. */
export const figureChart = (target: HTMLElement, title: string, at: string[], values: (number | null)[], unit: string, width: number): uPlot => {
  const opts: uPlot.Options = {
    width,
    height: 180,
    title,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] } },
    axes: [{ grid: { stroke: COLORS.grid } }, { label: unit, grid: { stroke: COLORS.grid } }],
    series: [{ label: 'time' }, { label: `${title} (${unit})`, stroke: COLORS.latency, fill: 'rgba(21,101,192,0.12)', width: 2, spanGaps: false, points: { show: true } }],
  };
  return new uPlot(opts, [at.map(seconds), values], target);
};
