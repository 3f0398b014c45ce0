// A control plane in a process of its own, for the test that kills it with -9: it starts the
// instances it is told to, prints the start result as one JSON line, and waits to be killed.
import { createArtifactService } from '../../src/adapters/artifacts/index.js';
import { createProcessRuntime } from '../../src/adapters/runtime/process/index.js';
import { appSpec, testSandbox } from './runtime-helpers.js';

const { home, digest, instances } = JSON.parse(process.argv[2] ?? '{}') as { home: string; digest: string; instances: number };
const runtime = createProcessRuntime({ home, artifacts: await createArtifactService({ home }), sandbox: testSandbox(home) });
const result = await runtime.start(appSpec({ env: 'production', release: 7, digest }, { instances }));
process.stdout.write(`${JSON.stringify(result)}\n`);
setInterval(() => undefined, 1 << 30);
