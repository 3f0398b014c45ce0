import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  test('given a check that holds on its third call, when waited for, then returns its value after three calls', async () => {
    let calls = 0;
    const v = await waitFor(() => (++calls === 3 ? { port: 8080 } : undefined), { what: 'the port', interval: 1 });
    assert.deepEqual(v, { port: 8080 });
    assert.equal(calls, 3);
  });

  test('given a check that throws until it holds, when waited for, then the throws count as "not yet"', async () => {
    let calls = 0;
    const v = await waitFor(() => {
      if (++calls < 3) throw new Error('connection refused');
      return true;
    }, { what: 'the server', interval: 1 });
    assert.equal(v, true);
  });

  test('given a check that never holds, when the deadline passes, then fails naming what it waited for and the last error', async () => {
    await assert.rejects(
      waitFor(() => {
        throw new Error('ECONNREFUSED 127.0.0.1:9');
      }, { what: 'the proxy to answer', timeout: 30, interval: 5 }),
      /^Error: waited 30 ms for the proxy to answer, in vain; the last check threw: ECONNREFUSED 127\.0\.0\.1:9$/,
    );
    await assert.rejects(waitFor(() => false, { what: 'a flag', timeout: 10, interval: 5 }), /^Error: waited 10 ms for a flag, in vain$/);
    await assert.rejects(waitFor(() => null, { what: 'a row', timeout: 10, interval: 5 }), /waited 10 ms for a row, in vain; the check returned null/);
  });
});
