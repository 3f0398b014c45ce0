#!/usr/bin/env node
// Times the secret scanner on a generated tree: 10 000 small source files (default) with a
// planted token in every 97th, scanned three times; prints files/s and MB/s for each run.
// Usage: npm run build && node bench/secret-scan.mjs [files]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { scanTree } from '../dist/src/gates/secrets/index.js';

const count = Number(process.argv[2] ?? 10_000);
const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-'));
const filler = Array.from({ length: 30 }, (_, i) => `export function f${i}(a, b) { return a * ${i} + b; } // password: see vault`).join('\n');
try {
  let planted = 0;
  for (let d = 0; d < 100; d++) mkdirSync(path.join(root, `pkg${d}/src`), { recursive: true });
  for (let i = 0; i < count; i++) {
    const secret = i % 97 === 0 ? `\nconst t = '${'gh' + 'p_' + String(i).padStart(36, '7')}';\n` : '';
    if (secret) planted++;
    writeFileSync(path.join(root, `pkg${i % 100}/src/file${i}.ts`), `${filler}${secret}\n`);
  }
  for (let run = 1; run <= 3; run++) {
    const t0 = performance.now();
    const r = await scanTree(root);
    const s = (performance.now() - t0) / 1000;
    if (r.findings.length !== planted) throw new Error(`expected ${planted} findings, got ${r.findings.length}`);
    console.log(
      `run ${run}: ${r.stats.filesScanned} files, ${(r.stats.bytesScanned / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s → ` +
        `${Math.round(r.stats.filesScanned / s)} files/s, ${(r.stats.bytesScanned / 1e6 / s).toFixed(1)} MB/s`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
