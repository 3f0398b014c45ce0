#!/usr/bin/env node
// The `slipway` binary: runs the compiled CLI (npm ci builds it through the prepare script).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 70; },
);
