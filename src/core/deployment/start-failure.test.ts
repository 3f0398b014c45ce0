import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appOutput, isProbeLine, startFailureReport, type StartFailureFacts } from './start-failure.js';

const facts = (over: Partial<StartFailureFacts>): StartFailureFacts => ({
  reason: 'timeout', message: 'staging v2 instance x: it failed', output: [], env: 'staging', command: 'node server.js', healthPath: '/healthz', port: 41234, ...over,
});
const fixOf = (report: string): string => report.split('\n').at(-1) ?? '';

describe('the output of a failed start', () => {
  test('probe log lines of every common shape are recognised; other lines naming the path are not', () => {
    for (const l of ['GET /healthz 404 1.234 ms - 9', '127.0.0.1 - - [x] "GET /healthz HTTP/1.1" 404 9 "-" "slipway-probe"', '{"req":{"method":"GET","url":"/healthz"},"res":{"statusCode":404}}', 'HEAD /healthz?x=1 200', 'request from slipway-probe']) {
      assert.equal(isProbeLine(l, '/healthz'), true, l);
    }
    for (const l of ['routes: /healthz, /api', 'GET /healthz/deep 200', 'listening on http://127.0.0.1:3000/']) assert.equal(isProbeLine(l, '/healthz'), false, l);
    assert.equal(isProbeLine('GET / 200 0.5 ms', '/'), true);
    assert.equal(isProbeLine('GET /api 200 0.5 ms', '/'), false);
  });

  test("the app's own startup lines come first, without escapes, probe lines, repeats or the shim's notes", () => {
    const output = ['\x1b[32minfo\x1b[39m: loading config', 'listening on 41234', ...Array.from({ length: 40 }, () => 'GET /healthz 404 0.3 ms'), 'warn: slow disk', 'warn: slow disk', 'slipway: the app exited (code 1) before it was seen healthy; not restarting'];
    assert.deepEqual(appOutput(output, '/healthz'), ['info: loading config', 'listening on 41234', 'warn: slow disk', "(40 lines logging Slipway's health probes of /healthz left out)", '(1 repeated line left out)']);
  });

  test('a long output shows its first and last lines around a count, and keeps the runtime marker', () => {
    const output = [...Array.from({ length: 30 }, (_, i) => `line ${i + 1}`), 'slipway: … 9000 bytes of output left out …', 'Error: fatal'];
    const shown = appOutput(output, '/healthz');
    assert.deepEqual(shown.slice(0, 2), ['line 1', 'line 2']);
    assert.equal(shown[15], '… 7 more lines …');
    assert.deepEqual(shown.slice(-2), ['… 9000 bytes of output left out …', 'Error: fatal']);
    assert.equal(shown.length, 26);
  });

  test('the report ends with the most likely fix', () => {
    const rejected = startFailureReport(facts({ reason: 'unhealthy', status: 404, message: 'GET /healthz answered 404: set run.health.path', output: ['listening', 'GET /healthz 404'] }));
    assert.match(rejected, /^GET \/healthz answered 404: set run.health.path\napp output:\n {2}listening\n/);
    assert.match(fixOf(rejected), /^fix: GET \/healthz answered 404: set run.health.path .*slipway env set staging health_path=/);

    assert.match(fixOf(startFailureReport(facts({ reason: 'timeout' }))), /^fix: .*listen on 127\.0\.0\.1:\$PORT \(41234 this time\)/);
    assert.match(fixOf(startFailureReport(facts({ reason: 'exited', exit: { code: 1, signal: null }, output: ['Error: listen EADDRINUSE: address already in use :::3000'] }))), /^fix: .*\$PORT \(41234 this time\)/);
    assert.match(fixOf(startFailureReport(facts({ reason: 'exited', exit: { code: 1, signal: null }, output: ["Error: EACCES: permission denied, open 'data/users.json'"] }))), /^fix: the release directory is read-only .*\$SLIPWAY_DATA_DIR/);
    assert.match(fixOf(startFailureReport(facts({ reason: 'exited', exit: { code: 1, signal: null }, output: ["Error: EROFS: read-only file system, mkdir 'uploads'"] }))), /SLIPWAY_DATA_DIR/);

    const exited = startFailureReport(facts({ reason: 'exited', exit: { code: 3, signal: null }, output: ['boom: no config'] }));
    assert.match(exited, /app output:\n {2}boom: no config\nfix: "node server.js" exited with code 3 before it answered GET \/healthz: its last lines above say why$/);
    assert.match(fixOf(startFailureReport(facts({ reason: 'exited', exit: { code: 127, signal: null } }))), /no such command: check run.command/);
    assert.match(startFailureReport(facts({ reason: 'spawn' })), /\(the app printed nothing\)\nfix: check run.command/);
    assert.match(fixOf(startFailureReport(facts({ reason: 'unhealthy', status: 503 }))), /answered 503 until the start timeout/);
  });
});
