// Masking throughput (SPEC §11 has no figure for it, but every log line of every step and app goes
// through it): MB/s of `createMasker(values).mask` and of the streaming masker fed line by line, over
// generated log text that holds no secret (the common case) and text where one line in 50 carries
// a secret in some encoding, against a baseline measured in the same run: one `indexOf` per raw
// value over the same text (the least any masker must do). Run after `npm run build`:
//   node bench/mask.mjs [MODULE]   (MODULE: another build of mask.js to compare, e.g. main's)
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const SECRETS = ['sk_live_9fQ2xLr8TzKd03Lm', 'p@ss/w:rd+ok &"<go>"', 'postgres://app:Hunter2-Hunter2@db.internal:5432/app', 'AKIAIOSFODNN7EXAMPLE', 'correct horse battery staple'];

/** ~`lines` log lines of ordinary output: JSON records, access lines, stack-trace-ish text, some base64. */
function logText(lines, withSecrets) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const k = i % 5;
    let line =
      k === 0 ? `{"level":"info","time":${1700000000000 + i},"msg":"request done","path":"/api/items/${i}","status":200,"ms":${i % 97}}`
      : k === 1 ? `127.0.0.1 - - [04/Dec/2026:16:20:${String(i % 60).padStart(2, '0')} +0000] "GET /static/app.${i}.js HTTP/1.1" 200 5123 "-" "Mozilla/5.0"`
      : k === 2 ? `    at handler (/srv/app/dist/routes/items.js:${i % 400}:17) &amp; more &#39;quoted&#39; text`
      : k === 3 ? `payload=${Buffer.from(`record ${i} with some bytes ${i * 7}`).toString('base64')}`
      : `worker ${i % 8} processed batch ${i} in ${(i % 13) * 1.5}ms, queue depth ${i % 31} (%2F%3A ok)`;
    if (withSecrets && i % 50 === 0) {
      const s = SECRETS[(i / 50) % SECRETS.length];
      const enc = [(x) => x, encodeURIComponent, (x) => Buffer.from(x).toString('base64'), (x) => Buffer.from(x).toString('hex'), (x) => JSON.stringify(x)][(i / 50) % 5];
      line += ` secret=${enc(s)}`;
    }
    out.push(line);
  }
  return out;
}

function rate(bytes, fn, rounds) {
  fn(); // warm up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) fn();
  return (bytes * rounds) / 1e6 / ((performance.now() - t0) / 1000);
}

export async function benchMask({ module = join(ROOT, 'dist/src/secrets/mask.js'), lines = 20_000, rounds = 5 } = {}) {
  const { createMasker } = await import(pathToFileURL(resolve(module)).href);
  const masker = createMasker(SECRETS);
  const results = { forms: masker.forms };
  for (const withSecrets of [false, true]) {
    const ls = logText(lines, withSecrets);
    const text = ls.join('\n') + '\n';
    const bytes = Buffer.byteLength(text);
    const baseline = rate(bytes, () => SECRETS.reduce((n, s) => n + text.indexOf(s), 0), rounds);
    const whole = rate(bytes, () => masker.mask(text), rounds);
    const stream = rate(bytes, () => {
      const s = masker.stream();
      let n = 0;
      for (const l of ls) n += s.push(`${l}\n`).length;
      return n + s.end().length;
    }, rounds);
    const key = withSecrets ? 'withSecrets' : 'clean';
    results[key] = { mb: +(bytes / 1e6).toFixed(2), baselineMBs: +baseline.toFixed(1), maskMBs: +whole.toFixed(1), streamPerLineMBs: +stream.toFixed(1), maskVsBaseline: +(whole / baseline).toFixed(3) };
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchMask({ module: process.argv[2] ?? undefined }), null, 2));
}
