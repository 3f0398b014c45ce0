import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../src/app.js';

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

test('answers health checks and greetings', async () => {
  const server = createApp({ SLIPWAY_RELEASE: 'v7', GREETING: 'hi' });
  const port = await listen(server);
  try {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).json();
    assert.equal(body.message, 'hi from hello-service');
    assert.equal(body.release, 'v7');
  } finally {
    server.close();
  }
});

test('fails every request when told to', async () => {
  const server = createApp({ HELLO_FAIL_RATE: '1' });
  const port = await listen(server);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 500);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'health stays green so that only verification catches it');
  } finally {
    server.close();
  }
});
