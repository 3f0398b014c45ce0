// The real monitoring peers of the system tests: Debian's Prometheus and Alertmanager started on
// loopback ports in a temporary folder, with the configs written here, and stopped by their pids.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../src/test-support/wait.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** Why the peers cannot run here, or undefined when both are installed. */
export const missingPeers = (): string | undefined => {
  const missing = [PROMETHEUS_BIN, ALERTMANAGER_BIN].filter((b) => !existsSync(b));
  return missing.length ? `${missing.join(' and ')} not installed (apt-get install prometheus prometheus-alertmanager; .ci/run does)` : undefined;
};

export interface Peer {
  name: string;
  url: string;
  pid: number;
  /** The peer's own output so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const startPeer = async (name: string, bin: string, args: string[], dir: string, port: number): Promise<Peer> => {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const peer: Peer = {
    name,
    url,
    pid: child.pid ?? -1,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  // An exit ends the wait at once; a refused connection (not listening yet) only means "not yet".
  const ready = await waitFor(
    async () => (child.exitCode !== null ? 'exited' : (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok ? 'ready' : undefined),
    { what: `${name} to be ready`, timeout: 20_000, interval: 100 },
  ).catch(async (e: unknown) => {
    await peer.stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}:\n${peer.log().slice(-2000)}`);
  });
  if (ready === 'exited') throw new Error(`${name} exited with code ${child.exitCode}:\n${peer.log().slice(-2000)}`);
  return peer;
};

/**
 * Prometheus scraping `targets` every second and evaluating `rules` (YAML of rule groups) every
 * second, sending alerts to `alertmanager` (host:port) when given.
 */
export const startPrometheus = async (opts: { dir: string; port: number; targets: string[]; rules?: string; alertmanager?: string }): Promise<Peer> => {
  const dir = join(opts.dir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  if (opts.rules) writeFileSync(join(dir, 'rules.yml'), opts.rules);
  writeFileSync(
    join(dir, 'prom.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s }',
      ...(opts.rules ? ['rule_files: [rules.yml]'] : []),
      ...(opts.alertmanager ? ['alerting:', '  alertmanagers:', `    - static_configs: [{ targets: ['${opts.alertmanager}'] }]`] : []),
      'scrape_configs:',
      '  - job_name: slipway-proxy',
      '    metrics_path: /metrics',
      `    static_configs: [{ targets: [${opts.targets.map((t) => `'${t}'`).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  return startPeer('prometheus', PROMETHEUS_BIN, ['--config.file=prom.yml', `--web.listen-address=127.0.0.1:${opts.port}`, '--storage.tsdb.path=./data', '--log.level=warn'], dir, opts.port);
};

/** Alertmanager posting every alert at once (1 s group wait) to `webhook` with a bearer token. */
export const startAlertmanager = async (opts: { dir: string; port: number; webhook: string; token: string }): Promise<Peer> => {
  const dir = join(opts.dir, 'alertmanager');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'am.yml'),
    [
      'route:',
      '  receiver: slipway',
      '  group_by: [alertname, env]',
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: slipway',
      '    webhook_configs:',
      `      - url: ${opts.webhook}`,
      '        send_resolved: false',
      '        http_config:',
      `          authorization: { credentials: ${opts.token} }`,
      '',
    ].join('\n'),
  );
  return startPeer('alertmanager', ALERTMANAGER_BIN, ['--config.file=am.yml', `--web.listen-address=127.0.0.1:${opts.port}`, '--cluster.listen-address=', '--storage.path=./am', '--log.level=warn'], dir, opts.port);
};

/** One instant query's single value, or undefined when the result is empty. */
export const queryValue = async (prometheus: string, query: string): Promise<number | undefined> => {
  const r = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const j = (await r.json()) as { status: string; data?: { result?: { value: [number, string] }[] } };
  const v = j.data?.result?.[0]?.value[1];
  return v === undefined ? undefined : Number(v);
};
