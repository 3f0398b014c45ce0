// The sequential tests: known values, edge cases, bad counts, and the property that makes them
// safe to look at every interval — under the null, the ratio ever reaching 1/alpha is rarer than alpha.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialExcess, poissonExcess, poissonShortfall } from './sequential.js';
import { poisson, prng } from './test-helpers.js';

describe('binomialExcess', () => {
  test('no data is no evidence; a total failure is overwhelming within a few requests', () => {
    assert.equal(binomialExcess(0, 0, 0.01).p, 1);
    assert.ok(binomialExcess(3, 3, 0.01).p < 0.001, 'three errors out of three against 1 %');
    assert.ok(binomialExcess(1, 1, 0.01).p > 0.01, 'one error is not yet enough');
  });

  test('the observed rate near the threshold is no evidence at all', () => {
    assert.equal(binomialExcess(10, 1000, 0.01).p, 1);
    assert.equal(binomialExcess(0, 5000, 0.01).p, 1);
  });

  test('5 % against 1 % becomes significant at 0.001 within a few hundred requests', () => {
    assert.ok(binomialExcess(5, 100, 0.01).p > 0.001);
    assert.ok(binomialExcess(20, 400, 0.01).p < 0.001);
  });

  test('more bad outcomes are never weaker evidence (monotone in the count)', () => {
    let last = 2;
    for (let bad = 0; bad <= 50; bad++) {
      const p = binomialExcess(bad, 200, 0.02).p;
      assert.ok(p <= last, `p rose from ${last} to ${p} at ${bad} bad`);
      last = p;
    }
  });

  test('threshold 0 means any bad outcome is certain; threshold 1 never fails', () => {
    assert.equal(binomialExcess(1, 100, 0).p, 0);
    assert.equal(binomialExcess(0, 100, 0).p, 1);
    assert.equal(binomialExcess(100, 100, 1).p, 1);
  });

  test('refuses counts that are not counts', () => {
    assert.throws(() => binomialExcess(5, 3, 0.1), /0 ≤ bad ≤ total/);
    assert.throws(() => binomialExcess(-1, 3, 0.1), /0 ≤ bad ≤ total/);
    assert.throws(() => binomialExcess(1.5, 3, 0.1), /integers/);
  });

  test('looking after every request keeps the false-alarm rate below alpha (Ville)', () => {
    // 2000 sequences of 400 requests whose true error rate is exactly the threshold (the worst
    // null case), tested after every request at alpha = 0.05: at most 5 % may ever cross.
    const rand = prng(7);
    const alpha = 0.05;
    let crossed = 0;
    for (let run = 0; run < 2000; run++) {
      let bad = 0;
      for (let n = 1; n <= 400; n++) {
        if (rand() < 0.02) bad++;
        if (binomialExcess(bad, n, 0.02).p <= alpha) {
          crossed++;
          break;
        }
      }
    }
    assert.ok(crossed / 2000 <= alpha, `crossed in ${crossed} of 2000 runs`);
  });
});

describe('poisson tests', () => {
  test('a burst of error lines far above the rate is significant, a trickle is not', () => {
    assert.ok(poissonExcess(100, 1 / 60, 5).p < 1e-6, '100 lines in the first second against 5/min');
    assert.equal(poissonExcess(2, 1, 5).p, 1, '2 lines in a minute against 5/min');
    assert.equal(poissonExcess(1, 0.5, 0).p, 0, 'any line against a rate of 0');
  });

  test('a floor that is not met is significant once enough time has passed', () => {
    assert.ok(poissonShortfall(0, 10, 10).p < 0.001, 'no event in 10 min against 10/min');
    assert.equal(poissonShortfall(100, 10, 10).p, 1);
  });

  test('looking every second keeps the false-alarm rate below alpha', () => {
    const rand = prng(11);
    let crossed = 0;
    for (let run = 0; run < 1000; run++) {
      let events = 0;
      for (let second = 1; second <= 300; second++) {
        events += poisson(rand, 5 / 60);
        if (poissonExcess(events, second / 60, 5).p <= 0.05) {
          crossed++;
          break;
        }
      }
    }
    assert.ok(crossed / 1000 <= 0.05, `crossed in ${crossed} of 1000 runs`);
  });

  test('refuses bad counts and exposures', () => {
    assert.throws(() => poissonExcess(-1, 1, 1), /non-negative integer/);
    assert.throws(() => poissonExcess(1, Number.NaN, 1), /exposure/);
    assert.throws(() => poissonShortfall(1, -1, 1), /exposure/);
  });
});
