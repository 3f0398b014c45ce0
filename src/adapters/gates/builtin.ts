// Built-in gates (secret scan, dependency audit, benchmark comparison) behind the BuiltinGates
// port (ports/gates.ts): each reads the run's clean checkout (and artifact), logs its findings, and passes or fails.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { PlannedStep } from '../../core/pipeline/plan.js';
import type { BuiltinGates, GateContext, GateResult } from '../../ports/gates.js';
import { collectBenchOutput, compareBench, formatBenchComparison, parseBenchOutput, BENCH_OUTPUT_ENV } from '../../gates/bench/index.js';
import { auditTree, formatAuditFinding } from '../../gates/audit/index.js';
import { loadAllowlist, scanArchive, scanTree, type ScanReport } from '../../gates/secrets/index.js';

/**
 * A path from slipway.yaml: `~/…`, absolute, or relative to the root of the commit being gated
 * (its clean checkout: a database committed with the app, the same in every run and in the queue).
 */
const userPath = (dir: string, p: string): string => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : isAbsolute(p) ? p : resolve(dir, p));

export const builtinGates: BuiltinGates = { run: (step, g) => runBuiltinGate(step, g) };

const runBuiltinGate = async (step: PlannedStep, g: GateContext): Promise<GateResult> => {
  const gate = step.gate;
  if (!gate) return { ok: false, message: `step "${step.name}" has nothing to run` };
  switch (gate.kind) {
    case 'secret-scan':
      return secretScanGate(g, gate.allowlist);
    case 'dependency-audit':
      return auditGate(g, gate);
    case 'bench':
      return benchGate(g, step.name, gate);
    case 'command':
      return { ok: false, message: 'a command gate is not built in' };
  }
};

/**
 * Logs the findings of one scan and returns the secrets not seen before: a secret found in the
 * source and again in the artifact (packed as is, or copied by the build) is one credential.
 */
const reportFindings = (g: GateContext, where: string, r: ScanReport, seen: Map<string, string>): number => {
  let fresh = 0;
  for (const f of r.findings) {
    const place = `${where}${f.file}:${f.line}:${f.column}`;
    const first = seen.get(f.secretId);
    g.log(`${place} ${f.rule}: ${f.description} (${f.masked}) fingerprint ${f.fingerprint}${first ? `, the same secret as ${first}` : ''}`);
    if (first === undefined) {
      seen.set(f.secretId, place);
      fresh++;
    }
  }
  for (const e of r.expiredAllowlistEntries ?? []) g.log(`note: allowlist entry expired: ${JSON.stringify(e)}`);
  return fresh;
};

const secretScanGate = async (g: GateContext, allowlistPath: string | undefined): Promise<GateResult> => {
  let allowlist;
  if (allowlistPath !== undefined) {
    const loaded = await loadAllowlist(join(g.dir, allowlistPath), allowlistPath);
    if (!loaded.ok) return { ok: false, message: `the allowlist ${allowlistPath} is not valid: ${loaded.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ')}` };
    allowlist = loaded.allowlist;
  }
  const seen = new Map<string, string>();
  const tree = await scanTree(g.dir, { allowlist });
  g.log(`scanned ${tree.stats.filesScanned} files of the source tree${tree.stats.skippedDirs.length ? ` (skipped ${tree.stats.skippedDirs.slice(0, 5).join(', ')})` : ''}`);
  let found = reportFindings(g, '', tree, seen);
  let places = tree.findings.length;
  if (g.digest) {
    const art = await scanArchive(await g.artifactPath(g.digest), { allowlist });
    g.log(`scanned ${art.stats.filesScanned} files of the artifact ${g.digest.slice(0, 19)}`);
    found += reportFindings(g, 'artifact:', art, seen);
    places += art.findings.length;
  }
  if (found === 0) return { ok: true };
  return {
    ok: false,
    message: `${found} credential(s) found${places > found ? ` (in ${places} places, source and artifact)` : ''}; remove them (rotate anything real), or allowlist a false positive with a reason`,
  };
};

const auditGate = async (g: GateContext, gate: Extract<NonNullable<PlannedStep['gate']>, { kind: 'dependency-audit' }>): Promise<GateResult> => {
  const configured = gate.database ?? g.baseEnv.SLIPWAY_OSV_DB ?? process.env.SLIPWAY_OSV_DB;
  if (!configured) return { ok: false, message: 'the dependency audit needs an offline OSV database: set `audit: { database: PATH }` in slipway.yaml or SLIPWAY_OSV_DB (a directory or zip of OSV JSON)' };
  const database = userPath(g.dir, configured);
  const r = await auditTree(g.dir, database, { severity: gate.severity, ignore: gate.ignore, now: g.now });
  if (!r.ok) return { ok: false, message: `${r.reason}: ${r.message}` };
  g.log(`checked ${r.packagesChecked} packages of ${r.lockfile} against ${database} (threshold: ${gate.severity})`);
  for (const w of [...r.warnings, ...r.databaseWarnings]) g.log(`warning: ${w}`);
  for (const i of r.ignored) g.log(`ignored: ${JSON.stringify(i)}`);
  for (const e of r.expiredIgnores) g.log(`note: ignore entry expired and no longer applies: ${JSON.stringify(e)}`);
  for (const f of r.findings) g.log(formatAuditFinding(f));
  if (r.findings.length === 0) return { ok: true };
  return { ok: false, message: `${r.findings.length} vulnerable package version(s) at or above ${gate.severity}; upgrade them, or ignore one with an expiry date and a reason` };
};

const benchGate = async (g: GateContext, name: string, gate: Extract<NonNullable<PlannedStep['gate']>, { kind: 'bench' }>): Promise<GateResult> => {
  // In the sandbox area, given to the sandboxed step as a writable directory (its /tmp is private).
  mkdirSync(join(g.sandbox.dir, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(g.sandbox.dir, 'tmp', 'bench-'));
  try {
    await g.sandbox.own(dir);
    const out = join(dir, 'bench.json');
    const r = await g.exec(gate.run, { ...gate.env, [BENCH_OUTPUT_ENV]: out }, [dir]);
    if (!r.ok) return { ok: false, message: `the benchmark command ${r.reason}` };
    const parsed = await collectBenchOutput(r.stdout, out);
    if (!parsed.ok) return { ok: false, message: `the benchmark output is not in the documented shape (docs/gates.md): ${parsed.message}` };
    await g.store.putBenchResult(g.runId, name, parsed.metrics);
    const baseline = await g.store.baselineBench(name, g.runId);
    if (!baseline) {
      g.log('no baseline yet (no earlier green run has this benchmark): this run becomes the baseline');
      return { ok: true };
    }
    const base = parseBenchOutput(JSON.stringify({ metrics: baseline.metrics }));
    if (!base.ok) return { ok: false, message: `the stored baseline of run ${baseline.runId} is unreadable: ${base.message}` };
    g.log(`baseline: run ${baseline.runId}`);
    const cmp = compareBench(base.metrics, parsed.metrics, { maxRegression: gate.maxRegression });
    for (const line of formatBenchComparison(cmp)) g.log(line);
    if (cmp.verdict === 'regression') return { ok: false, message: `performance regression beyond ${Math.round(gate.maxRegression * 100)}% against run ${baseline.runId}` };
    if (cmp.verdict === 'not-enough-data') return { ok: false, message: 'not enough data to tell — rerun with more samples' };
    return { ok: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
