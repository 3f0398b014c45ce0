// Benchmark: latency of the greeting endpoint over repeated requests, printed in Slipway's
// benchmark JSON shape (docs/gates.md) so that the bench gate can compare it with main's baseline.
import { createApp } from '../src/app.js';

const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const server = createApp({});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const latencies = [];
for (let i = 0; i < samples + 20; i++) {
  const t0 = performance.now();
  await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
  if (i >= 20) latencies.push(Number((performance.now() - t0).toFixed(4)));
}
server.close();
console.log(JSON.stringify({ metrics: [{ name: 'greeting_latency', unit: 'ms', better: 'lower', samples: latencies }] }));
