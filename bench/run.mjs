// `npm run bench`: every figure of SPEC §11 that Slipway can measure so far, each against a
// baseline measured in the same run; a table on stdout and JSON in bench/results/.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOrchestrator } from './orchestrator.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// `--quick`: small counts (a few minutes in all); without it, the full counts of SPEC §11.
const quick = process.argv.includes('--quick');
const only = process.argv.slice(2).filter((a) => a !== '--quick');
const want = (name) => only.length === 0 || only.includes(name);
const results = { at: new Date().toISOString(), node: process.version, quick };

if (want('orchestrator')) results.orchestrator = await benchOrchestrator(quick ? { iterations: 5 } : {});
if (want('runtime')) {
  const { benchRuntime } = await import('./runtime.mjs');
  results.runtime = await benchRuntime({});
}
if (want('deploy')) {
  const { benchDeploy } = await import('./deploy.mjs');
  results.deploy = await benchDeploy(quick ? { deploys: 10 } : {});
}
if (want('verification')) {
  const { benchVerification } = await import('./verification.mjs');
  results.verification = await benchVerification({});
}
if (want('mask')) {
  const { benchMask } = await import('./mask.mjs');
  results.mask = await benchMask({});
}
if (want('proxy') && existsSync(join(here, 'proxy.mjs'))) {
  const { benchProxy, QUICK_PROXY } = await import('./proxy.mjs');
  results.proxy = await benchProxy(quick ? QUICK_PROXY : {});
}
if (want('backup')) results.backup = await (await import('./backup.mjs')).benchBackup(quick ? { rounds: 1 } : {});
// The same for a home with 1 000 releases made through the API (--quick: 100).
if (want('backup')) results.backupMany = await (await import('./backup.mjs')).benchBackupMany(quick ? { releases: 100 } : {});
// Only when named: it needs the npm registry and compiles SQLite three times (minutes).
if (only.includes('native')) results.native = await (await import('./native.mjs')).benchNative({});
// Only when named: it starts its own Docker Engine and registry (root, docker.io, docker-registry);
// 100 container deploys and rollbacks under load (--quick: 10).
if (only.includes('containers')) {
  const { benchContainers, QUICK_CONTAINERS } = await import('./containers.mjs');
  results.containers = await benchContainers(quick ? QUICK_CONTAINERS : {});
}
// Only when named: ≥ 1 000 deploy/rollback cycles under load (tens of minutes; --quick: 50).
if (only.includes('soak')) results.soak = await (await import('./soak.mjs')).benchSoak({ cycles: quick ? 50 : 1000 });
if (want('proxy-restart')) results.proxyRestart = await (await import('./proxy-restart.mjs')).benchProxyRestart({});

mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', 'bench.json');
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nwrote ${file}`);
