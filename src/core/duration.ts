// Durations as people read them in messages and comments: 850 ms, 2.5 s, 2 min 20 s. Pure.

/** Formats milliseconds for a sentence: `formatMs(140_000)` → `2 min 20 s`. */
export const formatMs = (ms: number): string => {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round((ms % 60_000) / 1000);
  return `${Math.floor(ms / 60_000)} min${s === 0 ? '' : ` ${s} s`}`;
};
