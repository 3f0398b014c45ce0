// Containers through the whole control plane (issue 14.2/14.5): an environment with
// `runtime: docker` deploys a new release and rolls back to the previous one ten times while a
// bounded load goes through Slipway's proxy, on keep-alive connections and on a new connection per
// request: no request fails, each release answers, and only the current and the warm previous
// release keep a container. The private engine and registry come from test-support/docker-engine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { connect, type Client } from '../../src/cli/client.js';
import { LABEL } from '../../src/adapters/runtime/docker/index.js';
import { dockerUnavailable, startDockerEngine, type DockerEngine } from '../../src/test-support/docker-engine.js';
import { startLoad } from '../../src/test-support/load.js';
import { waitFor } from '../../src/test-support/wait.js';
import { envStatus, history } from './deploy-harness.js';
import { TempRepo } from './harness.js';

const CYCLES = 10;

interface Started {
  deployment: { id: string } | null;
}
interface Finished {
  deployment: { id: string; phase: string; reason?: string; finishedAt?: string | null };
  events: { kind: string }[];
}

/** The deployment once it has finished (its events with it). */
const finished = async (client: Client, started: Started): Promise<Finished> => {
  const id = started.deployment?.id;
  assert.ok(id !== undefined, 'a deployment was started');
  return waitFor(async () => {
    const d = await client.request<Finished>('GET', `/v1/deployments/${id}`);
    return d.deployment.finishedAt ? d : null;
  }, { what: `deployment ${id} to finish`, timeout: 120_000, interval: 20 });
};

// Answers every path with its release; stops gracefully on SIGTERM.
const APP = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(String(process.env.SLIPWAY_RELEASE)); });
s.keepAliveTimeout = 65000;
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

describe('container deploys and rollbacks under load', { skip: dockerUnavailable() ?? false }, () => {
  let engine: DockerEngine;
  let repo: TempRepo;
  let env: Record<string, string>;
  before(async () => {
    const started = await startDockerEngine();
    if ('unavailable' in started) throw new Error(started.unavailable);
    engine = started;
    // The control plane the CLI starts inherits DOCKER_HOST: the private engine, never /var/run/docker.sock.
    env = { DOCKER_HOST: `unix://${engine.socket}` };
    repo = new TempRepo();
    repo.write({
      'server.cjs': APP,
      'slipway.yaml': [
        'app: cload', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', '  image: true', `  registry: ${engine.registry}/test/cload`,
        'run:', '  command: exec node dist/server.cjs', '  health: { path: /healthz, start_timeout: 30s }', '  stop_grace: 2s',
        'environments:', '  staging:', '    runtime: docker', '    strategy: blue-green',
        '    verify: { window: 100ms, interval: 100ms, checks: [error_rate < 1%] }', '',
      ].join('\n'),
    });
    repo.commit('containers under load');
    const run = await repo.cli(['run'], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const first = await repo.cli(['deploy', 'staging'], { env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(async () => {
    await repo?.dispose();
    await engine?.stop();
  });

  test(`given a bounded load through the proxy, when staging deploys a new release and rolls back ${CYCLES} times, then no request fails`, async () => {
    const url = (await envStatus(repo, 'staging')).url;
    assert.ok(url !== null, 'staging has a URL');
    const load = startLoad(url, { keepAlive: { clients: 1, everyMs: 10 }, fresh: { clients: 1, everyMs: 20 } });
    let report;
    try {
      // Through the API (what the CLI calls), to keep the file short: a CLI process per step costs seconds here.
      const client = await connect(repo.dir, join(repo.dir, '.slipway'));
      for (let i = 1; i <= CYCLES; i++) {
        // --force: the same build again would change nothing, and the rollback marked its digest bad.
        const d = await finished(client, await client.request<Started>('POST', '/v1/deployments', { env: 'staging', force: true }));
        assert.equal(d.deployment.phase, 'succeeded', `deploy ${i}: ${d.deployment.reason}`);
        const r = await finished(client, await client.request<Started>('POST', '/v1/rollbacks', { env: 'staging' }));
        assert.equal(r.deployment.phase, 'succeeded', `rollback ${i}: ${r.deployment.reason}`);
        assert.deepEqual(r.events.filter((e) => e.kind === 'deployment.starting'), [], `rollback ${i} is warm: it starts no container`);
      }
    } finally {
      report = await load.stop();
    }
    assert.equal(report.failed, 0, `failed requests: ${JSON.stringify(report.reasons)}; first: ${JSON.stringify(report.failures.slice(0, 10))}`);
    assert.ok(report.byConnection.keepAlive > 0 && report.byConnection.fresh > 0, JSON.stringify(report.byConnection));
    // v1, then each deploy's new release (v2…v11), each answered some of the load.
    const served = Object.keys(report.bodies).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    assert.deepEqual(served, Array.from({ length: CYCLES + 1 }, (_, i) => `v${i + 1}`), JSON.stringify(report.bodies));

    const h = await history(repo, 'staging', 100);
    assert.equal(h.length, 1 + 2 * CYCLES);
    assert.deepEqual(h.filter((e) => e.status !== 'succeeded' && e.status !== 'rolled_back').map((e) => `${e.id} ${e.status}: ${e.reason}`), []);
    // What runs: the current release and the warm previous one, each one container; no other left.
    const docker = new Docker({ socketPath: engine.socket });
    const running = await docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL.runtime}=docker`, `${LABEL.env}=staging`] }) });
    const status = await envStatus(repo, 'staging');
    assert.equal(status.current?.release, 'v1');
    assert.deepEqual(running.map((c) => c.Labels[LABEL.release]).sort(), ['1', String(CYCLES + 1)], 'containers of the current and the warm previous release only');
  });
});
