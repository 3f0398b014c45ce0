// Mid-ranks of a pooled sample, with the tie groups that the rank tests' variance needs.

export interface PooledRanks {
  /** Sum of the mid-ranks (1-based) of the first sample's values. */
  rankSumX: number;
  /** Size of every group of tied values (only groups larger than one). */
  ties: number[];
}

/** Ranks x and y together; tied values share the mean of the ranks they span. */
export function poolRanks(x: readonly number[], y: readonly number[]): PooledRanks {
  const n = x.length + y.length;
  const values = new Float64Array(n);
  values.set(x, 0);
  values.set(y, x.length);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (values[a] as number) - (values[b] as number));
  let rankSumX = 0;
  const ties: number[] = [];
  let i = 0;
  while (i < n) {
    let j = i + 1;
    const v = values[order[i] as number] as number;
    while (j < n && values[order[j] as number] === v) j++;
    // Positions i..j-1 (0-based) share the mid-rank of ranks i+1..j.
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if ((order[k] as number) < x.length) rankSumX += midRank;
    }
    if (j - i > 1) ties.push(j - i);
    i = j;
  }
  return { rankSumX, ties };
}
