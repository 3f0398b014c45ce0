// What a failed start tells its user: the app's own output from its first line (not the access-log
// lines of Slipway's health probes, nothing twice, no terminal escapes), then the most likely fix.
import { stripAnsi } from '../ansi.js';

/** What the runtime reported about a start that failed, and where the app ran. */
export interface StartFailureFacts {
  reason: 'exited' | 'unhealthy' | 'timeout' | 'spawn';
  /** The runtime's one-line account, e.g. `… GET /healthz answered 404: set run.health.path …`. */
  message: string;
  /** The instance's output in order (see StartFailure.output). */
  output: string[];
  env: string;
  command: string;
  healthPath: string;
  port?: number;
  /** The last status the health path answered. */
  status?: number;
  exit?: { code: number | null; signal: string | null };
}

/** Most app lines shown: the first ones (startup), then the last ones (what it said as it gave up). */
const FIRST = 15;
const LAST = 10;

/**
 * True for a line that logs one of Slipway's own probes: it names the probe's user agent, or
 * is an access-log line (`GET /healthz 404`, `"GET /healthz HTTP/1.1"`, `"url":"/healthz"`).
 */
export const isProbeLine = (line: string, path: string): boolean => {
  if (line.includes('slipway-probe')) return true;
  const p = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b(GET|HEAD)\\s+${p}(?=[\\s"'?]|$)`).test(line) || new RegExp(`"(url|path|originalUrl)"\\s*:\\s*"${p}(\\?[^"]*)?"`).test(line);
};

/**
 * The lines worth showing of a failed instance's output: escapes stripped, probe logs and repeats
 * left out (and counted), the shim's own notes left out (the message says the same), and, when
 * long, the first FIRST and last LAST lines around a count of what was left out.
 */
export const appOutput = (output: readonly string[], healthPath: string): string[] => {
  const kept: string[] = [];
  const seen = new Set<string>();
  let probes = 0;
  let repeats = 0;
  for (const raw of output) {
    const line = stripAnsi(raw).trimEnd();
    if (line.startsWith('slipway: … ')) {
      kept.push(line.slice('slipway: '.length)); // the runtime's "bytes left out" marker
      continue;
    }
    if (line === '' || line.startsWith('slipway: ')) continue;
    if (isProbeLine(line, healthPath)) probes++;
    else if (seen.has(line)) repeats++;
    else {
      seen.add(line);
      kept.push(line);
    }
  }
  const shown = kept.length <= FIRST + LAST ? kept : [...kept.slice(0, FIRST), `… ${kept.length - FIRST - LAST} more lines …`, ...kept.slice(-LAST)];
  if (probes > 0) shown.push(`(${probes} line${probes === 1 ? '' : 's'} logging Slipway's health probes of ${healthPath} left out)`);
  if (repeats > 0) shown.push(`(${repeats} repeated line${repeats === 1 ? '' : 's'} left out)`);
  return shown;
};

/** A line about a file the app may not write: the release directory is read-only. */
const WRITE_DENIED = /\b(EACCES|EROFS|EPERM)\b|permission denied|read-only file system/i;
/** A line about a port the app chose itself (not $PORT), or may not bind. */
const OWN_PORT = /\b(listen|bind)\b.*\b(EACCES|EADDRINUSE|EPERM)\b|\b(EADDRINUSE|EADDRNOTAVAIL)\b/i;

/** The most likely fix, from what failed and what the app printed; the report ends with it. */
export const likelyFix = (f: StartFailureFacts, lines: readonly string[]): string => {
  if (f.reason === 'unhealthy' && f.status !== undefined && f.status >= 400 && f.status < 500) {
    return `GET ${f.healthPath} answered ${f.status}: set run.health.path in slipway.yaml (or \`slipway env set ${f.env} health_path=/PATH\`) to a path the app answers with 2xx once it is ready`;
  }
  if (lines.some((l) => OWN_PORT.test(l))) {
    return `the app could not listen where it tried: make it listen on the port Slipway gives it in $PORT${f.port === undefined ? '' : ` (${f.port} this time)`}, e.g. server.listen(process.env.PORT)`;
  }
  if (lines.some((l) => WRITE_DENIED.test(l))) {
    return `the release directory is read-only to the app: write files under $SLIPWAY_DATA_DIR, a directory of ${f.env} kept across releases and rollbacks (docs/deployments.md)`;
  }
  switch (f.reason) {
    case 'exited': {
      const how = f.exit?.signal ? `was killed by ${f.exit.signal}` : `exited with code ${f.exit?.code ?? '?'}`;
      if (f.exit?.code === 127) return `the shell found no such command: check run.command ("${f.command}") and that the artifact holds what it runs`;
      return `"${f.command}" ${how} before it answered GET ${f.healthPath}: its last lines above say why`;
    }
    case 'unhealthy':
      return `GET ${f.healthPath} answered ${f.status ?? 'an error'} until the start timeout: make it answer 2xx once the app is ready, or raise run.health.start_timeout`;
    case 'timeout':
      return `nothing answered GET ${f.healthPath} in time: make the app listen on 127.0.0.1:$PORT${f.port === undefined ? '' : ` (${f.port} this time)`}, e.g. server.listen(process.env.PORT); a slow start needs a longer run.health.start_timeout`;
    case 'spawn':
      return `check run.command ("${f.command}") and that the release directory holds what it runs`;
  }
};

/**
 * The report of a failed start: the runtime's message, the app's output, and the fix, last.
 *
 * @example
 * startFailureReport({ reason: 'exited', message: 'v2 … exited with code 3 …', output: ['boom'], env: 'staging', command: 'node server.js', healthPath: '/healthz', exit: { code: 3, signal: null } })
 * // 'v2 … exited with code 3 …\napp output:\n  boom\nfix: "node server.js" exited with code 3 …'
 */
export const startFailureReport = (f: StartFailureFacts): string => {
  const lines = appOutput(f.output, f.healthPath);
  const shown = lines.length > 0 ? `\napp output:\n${lines.map((l) => `  ${l}`).join('\n')}` : '\n(the app printed nothing)';
  return `${stripAnsi(f.message)}${shown}\nfix: ${likelyFix(f, lines)}`;
};
