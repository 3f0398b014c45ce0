// Known-value and property tests for the statistics core. Reference values were computed with
// SciPy 1.17 (scipy.stats.mannwhitneyu / fisher_exact / norm, numpy.percentile) unless the test
// says they were worked out by hand.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { kthDifference } from './mann-whitney.js';
import {
  compareProportions,
  exactUDistribution,
  fisherExact,
  logFactorial,
  logGamma,
  mad,
  mannWhitneyU,
  mean,
  median,
  normalCdf,
  normalSf,
  percentile,
  percentiles,
  smallestOneSidedP,
  twoProportionZTest,
} from './index.js';

const close = (actual: number, expected: number, rel = 1e-9, what = ''): void => {
  const tol = Math.max(Math.abs(expected) * rel, 1e-300);
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);
};

describe('normal distribution', () => {
  test('matches SciPy norm.cdf / norm.sf, including far tails', () => {
    close(normalCdf(-1.96), 0.024997895148220435, 1e-12);
    close(normalCdf(-1), 0.15865525393145707, 1e-12);
    close(normalCdf(0.5), 0.6914624612740131, 1e-12);
    close(normalCdf(-5), 2.866515718791933e-7, 1e-8);
    close(normalCdf(-10), 7.61985302416047e-24, 1e-8);
    close(normalSf(8), 6.22096057427174e-16, 1e-8);
    assert.equal(normalCdf(0), 0.5);
    assert.equal(normalSf(40), 0);
  });

  test('property: cdf agrees with numerical integration of the density', () => {
    const pdf = (t: number): number => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
    fc.assert(
      fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (z) => {
        // Simpson's rule from -12 (where the mass is < 1e-32) to z.
        const a = -12;
        const steps = 4000;
        const h = (z - a) / steps;
        let s = pdf(a) + pdf(z);
        for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * pdf(a + i * h);
        const integral = (s * h) / 3;
        return Math.abs(normalCdf(z) - integral) < 1e-9 && Math.abs(normalCdf(z) + normalSf(z) - 1) < 1e-15;
      }),
      { numRuns: 60 },
    );
  });
});

describe('descriptive statistics', () => {
  test('percentiles interpolate linearly between closest ranks (numpy default)', () => {
    const xs = [50, 15, 40, 20, 35];
    assert.deepEqual(percentiles(xs, [0, 25, 40, 50, 90, 100]), [15, 20, 29, 35, 46, 50]);
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(mean([1, 2, 3, 4]), 2.5);
  });

  test('MAD, raw and normal-consistent (SciPy median_abs_deviation)', () => {
    assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1);
    close(mad([1, 1, 2, 2, 4, 6, 9], { normalConsistent: true }), 1.482602218505602);
  });

  test('does not mutate its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    percentiles(xs, [10]);
    assert.deepEqual(xs, [3, 1, 2]);
  });

  test('rejects empty samples, non-finite values and out-of-range percentiles', () => {
    assert.throws(() => median([]), /empty sample/);
    assert.throws(() => mean([1, Number.NaN]), /non-finite/);
    assert.throws(() => percentile([1], 101), /within \[0, 100\]/);
    assert.throws(() => percentile([1], -1), /within \[0, 100\]/);
  });
});

describe('gamma and factorials', () => {
  test('match exact factorials and Python math.lgamma', () => {
    close(logFactorial(10), Math.log(3628800), 1e-14);
    close(logFactorial(0), 0);
    close(logGamma(100.5), 361.4355404677776, 1e-13);
    close(logGamma(0.3), 1.0957979948180752, 1e-13);
    close(logFactorial(999), 5905.220423209181, 1e-13);
    assert.throws(() => logFactorial(-1), /non-negative integer/);
  });
});

describe('Mann–Whitney U', () => {
  test('exact, fully separated samples (worked by hand: 1 arrangement of C(6,3) = 20)', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    assert.equal(r.method, 'exact');
    assert.equal(r.u, 0);
    assert.equal(r.uY, 9);
    close(r.p, 0.1);
    close(mannWhitneyU([1, 2, 3], [4, 5, 6], { alternative: 'less' }).p, 0.05);
    assert.equal(mannWhitneyU([1, 2, 3], [4, 5, 6], { alternative: 'greater' }).p, 1);
  });

  test('SciPy documentation example (U = 17), exact and asymptotic', () => {
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const exact = mannWhitneyU(males, females);
    assert.equal(exact.u, 17);
    close(exact.p, 0.1111111111111111);
    close(mannWhitneyU(males, females, { alternative: 'greater' }).p, 0.05555555555555555);
    const asym = mannWhitneyU(males, females, { method: 'asymptotic' });
    close(asym.p, 0.11134688653314041, 1e-9);
    close(mannWhitneyU(males, females, { method: 'asymptotic', alternative: 'greater' }).p, 0.055673443266570206, 1e-9);
    close(mannWhitneyU(males, females, { method: 'asymptotic', alternative: 'less' }).p, 0.9669037101389033, 1e-9);
    assert.equal(exact.effect.hodgesLehmann, 7);
    close(exact.effect.commonLanguage, 17 / 20);
    close(exact.effect.rankBiserial, 0.7);
  });

  test('many ties: tie-corrected normal approximation with and without continuity', () => {
    const x = Array.from({ length: 30 }, (_, i) => i % 7);
    const y = Array.from({ length: 25 }, (_, i) => (i * 3) % 11);
    const r = mannWhitneyU(x, y);
    assert.equal(r.method, 'asymptotic');
    assert.equal(r.hasTies, true);
    assert.equal(r.u, 243.5);
    close(r.p, 0.02582288432446376, 1e-9);
    close(mannWhitneyU(x, y, { alternative: 'greater' }).p, 0.9876441299383611, 1e-9);
    close(mannWhitneyU(x, y, { alternative: 'less' }).p, 0.01291144216223188, 1e-9);
    close(mannWhitneyU(x, y, { continuity: false }).p, 0.02526202514946766, 1e-9);
    assert.ok(r.z < 0, 'x tends to be smaller, so z is negative');
  });

  test('exact distribution for 15 vs 18 values agrees with SciPy, and differs from the approximation', () => {
    const x = [0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537, 0.581, 0.365, 0.294, 0.028, 0.547, -0.736, -0.163, -0.482];
    const y = [1.399, 0.84, 0.508, 0.018, 0.543, 0.808, 0.524, 2.094, 1.807, -1.911, -1.089, 0.625, 0.378, 1.014, 1.017, 2.918, -0.312, 0.422];
    const r = mannWhitneyU(x, y);
    assert.equal(r.method, 'exact');
    assert.equal(r.u, 77);
    close(r.p, 0.03636560713315205, 1e-9);
    close(mannWhitneyU(x, y, { alternative: 'less' }).p, 0.018182803566576027, 1e-9);
    close(mannWhitneyU(x, y, { method: 'asymptotic' }).p, 0.03762499025733997, 1e-9);
  });

  test('exact distribution counts every arrangement once and is symmetric', () => {
    const counts = exactUDistribution(4, 6);
    assert.equal(counts.length, 25);
    assert.equal(
      counts.reduce((s, c) => s + c, 0),
      210,
    );
    assert.deepEqual(counts, [...counts].reverse());
    close(smallestOneSidedP(3, 3), 1 / 20);
  });

  test('rejects empty samples, NaN, and an exact request with ties', () => {
    assert.throws(() => mannWhitneyU([], [1]), /sample x is empty/);
    assert.throws(() => mannWhitneyU([1], [Number.NaN]), /sample y contains NaN/);
    assert.throws(() => mannWhitneyU([1, 2], [2, 3], { method: 'exact' }), /without ties/);
  });

  const sample = fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 });

  test('property: p is a probability and U is in [0, n1·n2]', () => {
    fc.assert(
      fc.property(sample, sample, fc.constantFrom('two-sided', 'less', 'greater'), (x, y, alternative) => {
        const r = mannWhitneyU(x, y, { alternative });
        return r.p >= 0 && r.p <= 1 && r.u >= 0 && r.u <= x.length * y.length && r.u + r.uY === x.length * y.length;
      }),
    );
  });

  test('property: swapping the samples swaps U and mirrors the one-sided tests', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const a = mannWhitneyU(x, y);
        const b = mannWhitneyU(y, x);
        const aGreater = mannWhitneyU(x, y, { alternative: 'greater' });
        const bLess = mannWhitneyU(y, x, { alternative: 'less' });
        return (
          a.u === b.uY &&
          Math.abs(a.p - b.p) < 1e-12 &&
          Math.abs(aGreater.p - bLess.p) < 1e-12 &&
          Math.abs(a.effect.hodgesLehmann + b.effect.hodgesLehmann) < 1e-9
        );
      }),
    );
  });

  test('property: the k-th pairwise difference is the k-th of all differences sorted, ties and all', () => {
    const values = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    const wide = fc.array(values, { minLength: 1, maxLength: 80 });
    fc.assert(
      fc.property(wide, wide, fc.nat(), (x, y, pick) => {
        const all = Float64Array.from(x.flatMap((a) => y.map((b) => a - b))).sort();
        const k = pick % all.length;
        return kthDifference(x, y, k) === all[k];
      }),
    );
  });

  test('the Hodges–Lehmann shift of large samples is the median of every difference (odd and even counts)', () => {
    const y = Array.from({ length: 2700 }, (_, i) => ((i * 104729) % 997) / 10 + 3);
    for (const n of [301, 300]) {
      const x = Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 10);
      const all = Float64Array.from(x.flatMap((a) => y.map((b) => a - b))).sort();
      const mid = all.length >> 1;
      const expected = all.length % 2 === 1 ? all[mid] : ((all[mid - 1] as number) + (all[mid] as number)) / 2;
      assert.equal(mannWhitneyU(x, y).effect.hodgesLehmann, expected, `${n} × 2700`);
    }
  });

  test('property: identical samples show no difference at all', () => {
    fc.assert(
      fc.property(sample, (x) => {
        const r = mannWhitneyU(x, [...x]);
        return r.p === 1 && r.u === (x.length * x.length) / 2 && r.effect.hodgesLehmann === 0;
      }),
    );
  });

  test('property: shifting x far above y gives the smallest possible p', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const shifted = x.map((v) => v + 1000);
        const r = mannWhitneyU(shifted, y, { alternative: 'greater' });
        return r.u === x.length * y.length && r.effect.commonLanguage === 1 && r.p <= mannWhitneyU(x, y, { alternative: 'greater' }).p;
      }),
    );
  });
});

describe('proportion tests', () => {
  test("Fisher's exact test: the lady tasting tea (hand-computable: 1/70 + 16/70 …)", () => {
    const two = fisherExact({ events: 3, trials: 4 }, { events: 1, trials: 4 });
    close(two.p, 0.48571428571428565, 1e-10);
    close(fisherExact({ events: 3, trials: 4 }, { events: 1, trials: 4 }, { alternative: 'greater' }).p, 0.24285714285714283, 1e-10);
  });

  test("Fisher's exact test on error counts agrees with SciPy", () => {
    close(fisherExact({ events: 8, trials: 1000 }, { events: 1, trials: 1000 }).p, 0.03864115495182243, 1e-8);
    close(fisherExact({ events: 8, trials: 1000 }, { events: 1, trials: 1000 }, { alternative: 'greater' }).p, 0.019320577475911215, 1e-8);
    close(fisherExact({ events: 0, trials: 50 }, { events: 5, trials: 50 }, { alternative: 'less' }).p, 0.028142247214412164, 1e-8);
  });

  test('two-proportion z-test (hand-computed: pooled 0.0225, z = 2.2617)', () => {
    const r = twoProportionZTest({ events: 30, trials: 1000 }, { events: 15, trials: 1000 });
    close(r.z ?? Number.NaN, 2.261656365159503, 1e-12);
    close(r.p, 0.023718642632191457, 1e-10);
    close(twoProportionZTest({ events: 30, trials: 1000 }, { events: 15, trials: 1000 }, { alternative: 'greater' }).p, 0.011859321316095729, 1e-10);
    assert.equal(twoProportionZTest({ events: 0, trials: 10 }, { events: 0, trials: 10 }).p, 1);
  });

  test('compareProportions picks Fisher for small expected counts and z for large ones', () => {
    assert.equal(compareProportions({ events: 3, trials: 100 }, { events: 0, trials: 100 }).method, 'fisher');
    assert.equal(compareProportions({ events: 300, trials: 10000 }, { events: 200, trials: 10000 }).method, 'z');
  });

  test('rejects impossible counts', () => {
    assert.throws(() => fisherExact({ events: 5, trials: 4 }, { events: 0, trials: 1 }), /events must be an integer in \[0, 4\]/);
    assert.throws(() => twoProportionZTest({ events: 0, trials: 0 }, { events: 0, trials: 1 }), /trials must be a positive integer/);
  });

  test('property: p in [0, 1] and symmetric under swapping', () => {
    const s = fc
      .tuple(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([trials, f]) => ({ trials, events: Math.floor(f * trials) }));
    fc.assert(
      fc.property(s, s, (a, b) => {
        const f1 = fisherExact(a, b);
        const f2 = fisherExact(b, a);
        const z1 = twoProportionZTest(a, b);
        const z2 = twoProportionZTest(b, a);
        return f1.p >= 0 && f1.p <= 1 && Math.abs(f1.p - f2.p) < 1e-9 && z1.p >= 0 && z1.p <= 1 && Math.abs(z1.p - z2.p) < 1e-12;
      }),
    );
  });
});
