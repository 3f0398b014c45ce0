// The proxy daemon as a script: `node dist/src/proxy/daemon.js --home DIR [--admin-port N] [--admin-socket PATH]`.
// SIGTERM/SIGINT stop it gracefully, SIGUSR2 replaces it with a fresh process (zero-drop upgrade).

import { parseArgs } from 'node:util';
import { exitCodeOf, isSlipwayError } from '../core/errors.js';
import { serveProxy } from './main.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      home: { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-socket': { type: 'string' },
      handover: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.home) {
    process.stderr.write('usage: daemon.js --home DIR [--admin-port N] [--admin-socket PATH]\n');
    return 2;
  }
  const adminPort = values['admin-port'] === undefined ? undefined : Number(values['admin-port']);
  if (adminPort !== undefined && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)) {
    process.stderr.write('--admin-port must be a port number\n');
    return 2;
  }
  const adminSocket = values['admin-socket'];
  if (adminSocket !== undefined && !adminSocket.startsWith('/')) {
    process.stderr.write('--admin-socket must be an absolute path\n');
    return 2;
  }
  await serveProxy({ home: values.home, adminPort, handover: values.handover, ...(adminSocket === undefined ? {} : { adminSocket }) });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = isSlipwayError(err) ? `${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}` : String((err as Error)?.stack ?? err);
    process.stderr.write(`${new Date().toISOString()} proxy[${process.pid}] cannot start: ${message}\n`);
    if (process.connected) process.send?.({ type: 'failed', message });
    // 3 (conflict) tells ensureProxy that another proxy already serves, or is starting for, this home.
    process.exit(isSlipwayError(err) ? exitCodeOf(err.code) : 1);
  },
);
