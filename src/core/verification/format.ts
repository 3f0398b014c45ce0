// Number formatting for the one-line messages of the evidence: rates as percentages, latencies in
// ms, p-values with a floor, times as ISO strings. Pure.

/** 0.0123 → "1.23%"; keeps three significant digits and drops trailing zeros. */
export function pct(fraction: number): string {
  if (!Number.isFinite(fraction)) return String(fraction);
  const v = fraction * 100;
  return `${Number(v.toPrecision(3))}%`;
}

/** 212.43 → "212ms"; 0.734 → "0.73ms". */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(2))}ms`;
}

/** A count or value with at most four significant digits. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number.isInteger(value) ? value : Number(value.toPrecision(4)));
}

/** "p = 0.003", "p < 0.0001". */
export function pValue(p: number): string {
  if (p < 1e-4) return 'p < 0.0001';
  return `p = ${Number(p.toPrecision(2))}`;
}

/** A time (ms since the epoch) as an ISO string; for messages only. */
export const iso = (t: number): string => new Date(t).toISOString();

/** "12s", "2m 5s", "850ms". */
export function duration(msValue: number): string {
  if (msValue < 1000) return `${Math.round(msValue)}ms`;
  const s = Math.round(msValue / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? `${m}m` : `${m}m ${rest}s`;
}
