// The live API against a real control plane: given an app whose gate prints a secret, waits for a
// latch and prints more, and named tokens, when a client follows the run's log, a deployment and
// the event log as Server-Sent Events, goes away mid-stream and comes back with Last-Event-ID, then
// it gets exactly what it missed, no secret value, and the server keeps no listener of it; the
// OpenAPI document is served to a read token; and bad input gets the JSON error with its code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempRepo, type CliResult } from './harness.js';
import { SseClient } from '../../src/test-support/sse-client.js';
import { waitFor } from '../../src/test-support/wait.js';

const SECRET = `livesecret-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const APP = `require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');\n`;

interface LogLine {
  seq: number;
  line: string;
}

describe('the live API: OpenAPI, Server-Sent Events and errors', () => {
  let repo: TempRepo;
  let keys: string;
  let latch: string;
  let base = '';
  const tok: Record<'read' | 'deploy', string> = { read: '', deploy: '' };
  const cli = (args: string[], input?: string): Promise<CliResult> => repo.cli(args, { env: { XDG_CONFIG_HOME: keys }, input });
  const ok = async (args: string[], input?: string): Promise<CliResult> => {
    const r = await cli(args, input);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const call = async (token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> & { error?: { code?: string; message?: string } } }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const sse = (path: string, headers: Record<string, string> = {}, token = tok.read): Promise<SseClient & { body: string }> => SseClient.open(`${base}${path}`, { authorization: `Bearer ${token}`, ...headers });
  const health = async (): Promise<{ streams: number; busListeners: number }> => (await call(tok.read, 'GET', '/v1/health')).json as unknown as { streams: number; busListeners: number };
  const ids = (c: SseClient, event: string): number[] => c.frames.filter((f) => f.event === event).map((f) => Number(f.id));

  before(async () => {
    keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    delete process.env.SLIPWAY_MASTER_KEY;
    // Outside /tmp and the repository, which a step's sandbox hides; readable by the sandbox's uid.
    latch = mkdtempSync('/var/tmp/slipway-latch-');
    chmodSync(latch, 0o755);
    repo = new TempRepo('slipway-api-live-');
    repo.outside.push(keys, latch);
    repo.write({
      'app.js': APP,
      'slipway.yaml': [
        'app: live',
        'build:',
        '  artifact: [app.js]',
        'gates:',
        '  talk:',
        `    run: 'for i in $(seq 1 30); do echo first-$i; done; echo "secret=$CI_TOKEN"; for i in $(seq 900); do [ -f ${latch}/open ] && break; sleep 0.1; done; for i in $(seq 1 30); do echo second-$i; done'`,
        '    secrets: [CI_TOKEN]',
        'run:',
        '  command: node app.js',
        '  health: { path: /, start_timeout: 5s }',
        '  stop_grace: 1s',
        'environments:',
        '  production:',
        '    verify: { window: 1s }',
        '',
      ].join('\n'),
    });
    repo.commit('the app');
    await ok(['secrets', 'set', 'ci', 'CI_TOKEN', '--exact'], SECRET);
    for (const role of ['read', 'deploy'] as const) tok[role] = (await ok(['tokens', 'create', '--name', `${role}-bot`, '--role', role])).stdout.trim();
    const info = JSON.parse(readFileSync(join(repo.dir, '.slipway', 'server.json'), 'utf8')) as { port: number };
    base = `http://127.0.0.1:${info.port}`;
  });
  after(async () => {
    writeFileSync(join(latch, 'open'), '');
    await repo.dispose();
  });

  test('the OpenAPI 3.1 document is served to a read token, and to nobody without one', async () => {
    const doc = await call(tok.read, 'GET', '/v1/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, '3.1.0');
    const paths = doc.json.paths as Record<string, Record<string, { 'x-slipway-role'?: string }>>;
    assert.equal(paths['/v1/runs/{id}/logs/stream']?.get?.['x-slipway-role'], 'read');
    assert.equal(paths['/v1/deployments']?.post?.['x-slipway-role'], 'deploy');
    assert.equal((await call(undefined, 'GET', '/v1/openapi.json')).status, 401);
  });

  test("a run's log: read mid-run, go away, come back with Last-Event-ID, get exactly the rest; the secret is masked; no listener is left", { timeout: 180_000 }, async () => {
    const baseline = (await health()).busListeners;
    const started = await call(tok.deploy, 'POST', '/v1/runs', {});
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const runId = (started.json.run as { id: string }).id;
    const first = await sse(`/v1/runs/${runId}/logs/stream`);
    assert.equal(first.status, 200, first.body);
    await first.until('the first half of the log', (f) => f.some((x) => x.data.includes('secret=')));
    assert.ok((await health()).busListeners > baseline, 'the stream listens on the bus');
    first.close();
    await waitFor(async () => {
      const h = await health();
      return h.streams === 0 && h.busListeners === baseline;
    }, { what: 'the closed stream to leave no stream and no listener behind' });

    writeFileSync(join(latch, 'open'), '');
    const seen = ids(first, 'log');
    const again = await sse(`/v1/runs/${runId}/logs/stream`, { 'last-event-id': String(seen.at(-1)) });
    await again.end(120_000);
    const rest = ids(again, 'log');
    const all = [...seen, ...rest];
    assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1), 'every line once, in order');
    const record = (await call(tok.read, 'GET', `/v1/runs/${runId}/logs`)).json.logs as LogLine[];
    assert.deepEqual(all, record.map((l) => l.seq), 'the lines the run recorded');
    const lines = [...first.json<LogLine>('log'), ...again.json<LogLine>('log')].map((l) => l.line);
    assert.ok(lines.includes('first-1') && lines.includes('second-30'));
    const end = again.json<{ run: { status: string } }>('end');
    assert.equal(end[0]?.run.status, 'passed');
    assert.equal(again.frames.at(-1)?.id, String(all.at(-1)), 'the end repeats the last id');
    for (const f of [...first.frames, ...again.frames]) assert.ok(!f.data.includes(SECRET), 'no secret value in the stream');
    assert.ok(lines.some((l) => l.startsWith('secret=') && !l.includes(SECRET)));
  });

  test('a deployment and the event log: go away mid-stream, come back with Last-Event-ID, get exactly what was missed', { timeout: 180_000 }, async () => {
    const before = ((await call(tok.read, 'GET', '/v1/events?limit=10000')).json.events as { seq: number }[]).at(-1)?.seq ?? 0;
    const events = await sse(`/v1/events/stream?lastEventId=${before}`);
    const deployed = await call(tok.deploy, 'POST', '/v1/deployments', { env: 'production' });
    assert.equal(deployed.status, 202, JSON.stringify(deployed.json));
    const id = (deployed.json.deployment as { id: string }).id;
    const first = await sse(`/v1/deployments/${id}/stream`);
    assert.equal(first.status, 200, first.body);
    await first.until('the first event of the deployment', (f) => f.length >= 1);
    first.close();
    await events.until('an event of the deployment', (f) => f.some((x) => x.data.includes(`"subject":"${id}"`)));
    events.close();

    const again = await sse(`/v1/deployments/${id}/stream`, { 'last-event-id': String(ids(first, 'event').at(-1)) });
    await again.end(120_000);
    const got = [...ids(first, 'event'), ...ids(again, 'event')];
    const recorded = ((await call(tok.read, 'GET', `/v1/deployments/${id}`)).json.events as { seq: number }[]).map((e) => e.seq);
    // Events recorded after the end (the notifications' outcomes) are not part of the progress.
    assert.deepEqual(got, recorded.slice(0, got.length), 'every event of the deployment once, in order');
    assert.equal(again.json<{ deployment: { phase: string } }>('end')[0]?.deployment.phase, 'succeeded');

    const lastSeen = ids(events, 'event').at(-1) ?? before;
    const resumed = await sse('/v1/events/stream', { 'last-event-id': String(lastSeen) });
    const listed = ((await call(tok.read, 'GET', `/v1/events?after=${lastSeen}&limit=10000`)).json.events as { seq: number }[]).map((e) => e.seq);
    await resumed.until('the missed events', (f) => f.length >= listed.length);
    resumed.close();
    const all = [...ids(events, 'event'), ...ids(resumed, 'event')];
    assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => before + 1 + i), 'the event log once, in order, without a gap');
    // Without the Accept header the CLI's NDJSON is served as before.
    const ndjson = await fetch(`${base}/v1/deployments/${id}/stream`, { headers: { authorization: `Bearer ${tok.read}` } });
    assert.match(ndjson.headers.get('content-type') ?? '', /ndjson/);
    assert.match((await ndjson.text()).trim().split('\n').at(-1) ?? '', /^\{"type":"end"/);
    await waitFor(async () => (await health()).streams === 0, { what: 'every stream to be closed' });
  });

  test('bad input: unknown ids 404, a bad Last-Event-ID 400, no token 401, wrong role 403, a wrong body 400 naming the field, all {code, message}', async () => {
    const expect = (a: { status: number; json: { error?: { code?: string; message?: string } } }, status: number, code: string, message?: RegExp): void => {
      assert.equal(a.status, status, JSON.stringify(a.json));
      assert.equal(a.json.error?.code, code);
      assert.equal(typeof a.json.error?.message, 'string');
      if (message) assert.match(a.json.error?.message ?? '', message);
    };
    const sseError = async (path: string, headers: Record<string, string> = {}, token?: string): Promise<{ status: number; json: { error?: { code?: string; message?: string } } }> => {
      const c = await sse(path, headers, token);
      return { status: c.status, json: JSON.parse(c.body || '{}') as { error?: { code?: string; message?: string } } };
    };
    expect(await sseError('/v1/runs/r999/logs/stream'), 404, 'not_found');
    expect(await sseError('/v1/deployments/d999/stream'), 404, 'not_found');
    for (const path of ['/v1/runs/r1/logs/stream', '/v1/deployments/d1/stream', '/v1/events/stream']) {
      expect(await sseError(path, { 'last-event-id': 'yesterday' }), 400, 'usage', /Last-Event-ID/);
      expect(await sseError(`${path}?lastEventId=-3`), 400, 'usage', /Last-Event-ID/);
      expect(await sseError(path, {}, 'slw_nope'), 401, 'unauthorized');
    }
    expect(await call(undefined, 'GET', '/v1/events/stream'), 401, 'unauthorized');
    expect(await call(tok.read, 'POST', '/v1/deployments', { env: 'production' }), 403, 'forbidden', /needs the deploy role/);
    expect(await call(tok.deploy, 'POST', '/v1/deployments', { env: 5 }), 400, 'usage', /"env" must be a string/);
    expect(await call(tok.deploy, 'POST', '/v1/deployments', { env: 'production', strategy: 'yolo' }), 400, 'usage', /"strategy" must be one of blue-green, canary/);
    expect(await call(tok.deploy, 'POST', '/v1/rollbacks', { env: 'production', to: 'v1' }), 400, 'usage', /"to" must be a number/);
    expect(await call(tok.deploy, 'POST', '/v1/deployments', { env: 'production', digests: 'x' }), 400, 'usage', /"digests" is not accepted/);
    expect(await call(tok.deploy, 'POST', '/v1/deployments', '{not json'), 400, 'usage', /not valid JSON/);
    expect(await call(tok.deploy, 'POST', '/v1/runs', { ref: 'x'.repeat(2 * 1024 * 1024) }), 413, 'too_large');
    expect(await call(tok.read, 'GET', '/v1/nothing'), 404, 'not_found');
    expect(await call(tok.read, 'DELETE', '/v1/runs'), 405, 'method_not_allowed');
    // What Node itself cannot parse gets the same JSON error.
    const garbage = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      let data = '';
      socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('NOT HTTP AT ALL\r\n\r\n');
    });
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    assert.deepEqual((JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)) as { error: { code: string } }).error.code, 'usage');
  });
});
