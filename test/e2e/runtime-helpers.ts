// Helpers for the runtime end-to-end tests: a tiny app stored as a real, signed artifact, and
// instance specs for it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactService, type ArtifactService } from '../../src/adapters/artifacts/index.js';
import { isAlive } from '../../src/adapters/runtime/process/shims.js';
import { createSandbox } from '../../src/adapters/sandbox/index.js';
import type { InstanceSpec, ReleaseRef } from '../../src/ports/runtime.js';
import type { Sandbox } from '../../src/ports/sandbox.js';

/**
 * The app: serves /healthz and / (JSON with its release and pid) on $PORT. Knobs from its env:
 * PRINT_SECRETS=1 prints the values named by SLIPWAY_MASK_VARS (and EXTRA) in several forms, one split
 * across two writes;
 * IGNORE_TERM=1 ignores SIGTERM; EXIT_AT_ONCE=<code> exits before listening; NO_LISTEN=1 never
 * listens; FIXED_PORT=<n> listens there instead of $PORT; SLOW_START_MS delays the listen; HEALTH_STATUS
 * sets the status of /healthz. GET /write tries to write into its cwd, TMPDIR and SLIPWAY_DATA_DIR.
 */
export const APP_SOURCE = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const env = process.env;
if (env.EXIT_AT_ONCE) { console.error('boom: cannot start'); process.exit(Number(env.EXIT_AT_ONCE)); }
if (env.IGNORE_TERM) process.on('SIGTERM', () => console.log('SIGTERM ignored'));
else process.on('SIGTERM', () => { console.log('SIGTERM: bye'); process.exit(0); });
const printSecrets = async () => {
  for (const name of (env.SLIPWAY_MASK_VARS || '').split(',').concat('EXTRA')) {
    const v = env[name];
    if (!v) continue;
    console.log('plain ' + v);
    console.error('in json ' + JSON.stringify({ v }));
    console.log('base64 ' + Buffer.from(v).toString('base64'));
    console.log('base64 shifted ' + Buffer.from('x' + v).toString('base64'));
    process.stdout.write('split ' + v.slice(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    process.stdout.write(v.slice(3) + ' end\\n');
  }
};
const server = createServer((req, res) => {
  if (req.url === '/write') {
    const tried = {};
    for (const [name, dir] of [['cwd', process.cwd()], ['tmp', env.TMPDIR], ['data', env.SLIPWAY_DATA_DIR]]) {
      try { writeFileSync(dir + '/probe-' + process.pid, 'x'); tried[name] = true; } catch { tried[name] = false; }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(tried));
  }
  res.writeHead(req.url === '/healthz' ? Number(env.HEALTH_STATUS || 200) : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    path: req.url, release: env.SLIPWAY_RELEASE, env: env.SLIPWAY_ENV, digest: env.SLIPWAY_DIGEST, instance: env.SLIPWAY_INSTANCE,
    port: env.PORT, pid: process.pid, cwd: process.cwd(), tmpdir: env.TMPDIR, data: env.SLIPWAY_DATA_DIR, leak: env.SLIPWAY_TEST_LEAK ?? null,
  }));
});
const start = () => {
  if (env.NO_LISTEN) { setInterval(() => {}, 1000); return; }
  server.listen(Number(env.FIXED_PORT || env.PORT), '127.0.0.1', () => {
    console.log('listening on ' + (env.FIXED_PORT || env.PORT));
    if (env.PRINT_SECRETS) void printSecrets();
  });
};
setTimeout(start, Number(env.SLOW_START_MS || 0));
`;

export const statementInput = {
  name: 'app.tar',
  commit: '0123456789abcdef0123456789abcdef01234567',
  repo: 'file:///srv/app',
  pipelineFileDigest: `sha256:${'b'.repeat(64)}`,
  builderId: 'https://slipway.dev/builder/test',
  invocationId: 'run-1',
  startedOn: '2024-05-01T10:00:00Z',
  finishedOn: '2024-05-01T10:00:05Z',
  inputs: [],
  externalParameters: { command: 'true' },
};

export interface AppHome {
  home: string;
  artifacts: ArtifactService;
  /** The sandbox (auto mode) with its area beside the home. */
  sandbox: Sandbox;
  digest: string;
  ref: (release: number, env?: string) => ReleaseRef;
  done: () => void;
}

/** A fresh home with the app stored as a signed artifact. */
export async function appHome(): Promise<AppHome> {
  const home = mkdtempSync(join(tmpdir(), 'slipway-'));
  const work = join(home, 'work');
  mkdirSync(join(work, 'app'), { recursive: true });
  writeFileSync(join(work, 'app/server.mjs'), APP_SOURCE);
  const artifacts = await createArtifactService({ home });
  const { digest } = await artifacts.storeBuild({ workdir: work, paths: ['app'], statementInput });
  const sandbox = testSandbox(home);
  return {
    home, artifacts, digest, sandbox,
    ref: (release, env = 'staging') => ({ env, release, digest }),
    done: () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(sandbox.dir, { recursive: true, force: true });
    },
  };
}

/** The sandbox of a test home: auto mode, its area `<home>-box` beside it. */
export const testSandbox = (home: string): Sandbox => createSandbox({ dir: `${home}-box`, hideDirs: [home], hideFiles: [] });

/** A spec for the app with short timings. */
export function appSpec(ref: ReleaseRef, over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    ...ref,
    command: 'exec node app/server.mjs',
    instances: 1,
    vars: {},
    health: { path: '/healthz', intervalMs: 50, timeoutMs: 500, startTimeoutMs: 5000 },
    stopGraceMs: 1000,
    ...over,
  };
}

/** GET http://127.0.0.1:<port><path> → parsed JSON (or null if nothing answers). */
export function getJson(port: number, path = '/'): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether the process runs: a zombie not yet reaped (its parent gone, init slow under load) does not. */
export const alive = (pid: number): boolean => isAlive(pid);
