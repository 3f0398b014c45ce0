// The process runtime passes the runtime contract with real shims, real processes and real ports.
import { runtimeContract } from '../../src/adapters/runtime/contract.js';
import { createProcessRuntime } from '../../src/adapters/runtime/process/index.js';
import { appHome, getJson } from './runtime-helpers.js';

runtimeContract('process', async () => {
  const h = await appHome();
  return {
    open: () => createProcessRuntime({ home: h.home, artifacts: h.artifacts, sandbox: h.sandbox }),
    digest: h.digest,
    missingDigest: `sha256:${'0'.repeat(64)}`,
    commands: {
      serve: 'exec node app/server.mjs',
      exitAtOnce: 'echo boom >&2; exit 3',
      neverHealthy: 'exec sleep 60',
    },
    crash: (i) => void process.kill(i.pid, 'SIGKILL'),
    ask: async (i) => {
      const answer = await getJson(i.port);
      return typeof answer?.release === 'string' ? answer.release : null;
    },
    dispose: () => h.done(),
  };
});
