import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMs } from './duration.js';

test('formatMs reads like a sentence at every scale, and rounds up into the next unit', () => {
  const cases: [number, string][] = [
    [850, '850 ms'],
    [2_500, '2.5 s'],
    [140_000, '2 min 20 s'],
    [120_000, '2 min'],
    [179_700, '3 min'],
    [3_600_000, '1 h'],
    [3_600_000 + 5 * 60_000, '1 h 5 min'],
    [2 * 3_600_000 - 10_000, '2 h'],
    [86_400_000, '1 d'],
    [2 * 86_400_000 + 4 * 3_600_000, '2 d 4 h'],
    [3 * 86_400_000 - 60_000, '3 d'],
  ];
  for (const [ms, text] of cases) assert.equal(formatMs(ms), text, String(ms));
});
