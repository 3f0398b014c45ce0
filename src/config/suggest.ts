// "Did you mean …?" for misspelt keys and names: the closest candidate within a small edit distance.

/** Levenshtein distance, with the two-row table. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo
 * (at most 2 edits, or a third of the word for long words), ignoring case and `-`/`_`.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/-/g, '_');
  const w = fold(word);
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, fold(c));
    if (d < (best?.d ?? Infinity)) best = { name: c, d };
  }
  if (!best || best.name === word) return undefined;
  return best.d <= Math.max(2, Math.floor(w.length / 3)) ? best.name : undefined;
}
