// Durations as people read them in messages and comments: 850 ms, 2.5 s, 2 min 20 s, 3 h 5 min,
// 2 d 4 h. Pure.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Formats milliseconds for a sentence: `formatMs(140_000)` → `2 min 20 s`. */
export const formatMs = (ms: number): string => {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < HOUR) {
    const s = Math.round((ms % 60_000) / 1000);
    return s === 60 ? `${Math.floor(ms / 60_000) + 1} min` : `${Math.floor(ms / 60_000)} min${s === 0 ? '' : ` ${s} s`}`;
  }
  if (ms < DAY) return pair(ms, HOUR, 'h', 60_000, 'min', 60);
  return pair(ms, DAY, 'd', HOUR, 'h', 24);
};

/** `3 h 5 min`: the whole big units, then the rest rounded to small ones (`per` of them in a big one). */
const pair = (ms: number, big: number, bigName: string, small: number, smallName: string, per: number): string => {
  let b = Math.floor(ms / big);
  let s = Math.round((ms % big) / small);
  if (s === per) [b, s] = [b + 1, 0];
  return `${b} ${bigName}${s === 0 ? '' : ` ${s} ${smallName}`}`;
};

/** A span people write for windows and lifetimes: `12h`, `30d`, `2w` → milliseconds; undefined for anything else or zero. */
export const parseSpan = (text: string): number | undefined => {
  const m = /^(\d{1,5})([hdw])$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === 'h' ? HOUR : m[2] === 'd' ? DAY : 7 * DAY;
  return n > 0 ? n * unit : undefined;
};
