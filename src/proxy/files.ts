// The proxy's files in the Slipway home: routes and state written atomically (adapters/fs/files.ts),
// and the lock that keeps one daemon per home. The admin token is home/token.ts's ensureToken.

import fs from 'node:fs';
import { writeFileAtomic } from '../adapters/fs/files.js';
import { proxyFiles, type EnvRoutes, type ProxyStateFile } from '../ports/proxy.js';
import { checkRouteEnv, checkEnvRoutes, type Checked } from './validate.js';

/** The persisted routes of every environment; an absent file is an empty set. */
export function loadRoutes(home: string): Checked<Map<string, EnvRoutes>> {
  const file = proxyFiles(home).routes;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: new Map() };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `${file} is not valid JSON (${(err as Error).message}); fix it or delete it` };
  }
  const envs = (parsed as { envs?: unknown } | null)?.envs;
  if (typeof envs !== 'object' || envs === null || Array.isArray(envs)) {
    return { ok: false, message: `${file} has no "envs" object; fix it or delete it` };
  }
  const out = new Map<string, EnvRoutes>();
  for (const [name, raw] of Object.entries(envs)) {
    const env = checkRouteEnv(name);
    const routes = checkEnvRoutes(raw);
    if (!env.ok) return { ok: false, message: `${file}: ${env.message}` };
    if (!routes.ok) return { ok: false, message: `${file}: environment ${name}: ${routes.message}` };
    out.set(name, routes.value);
  }
  return { ok: true, value: out };
}

export function saveRoutes(home: string, envs: ReadonlyMap<string, EnvRoutes>): void {
  const body = { version: 1, envs: Object.fromEntries([...envs].sort(([a], [b]) => a.localeCompare(b))) };
  writeFileAtomic(proxyFiles(home).routes, `${JSON.stringify(body, null, 2)}\n`);
}

export function writeState(home: string, state: ProxyStateFile): void {
  writeFileAtomic(proxyFiles(home).state, `${JSON.stringify(state)}\n`);
}

/** proxy.json, or undefined when absent or unreadable. */
export function readState(home: string): ProxyStateFile | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(proxyFiles(home).state, 'utf8')) as Partial<ProxyStateFile>;
    if (typeof s.pid === 'number' && typeof s.adminPort === 'number' && typeof s.startedAt === 'string') {
      return { pid: s.pid, adminPort: s.adminPort, startedAt: s.startedAt };
    }
  } catch {
    // absent or half-written by an old version: treated as no state
  }
  return undefined;
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** False when /proc shows `pid` is some other program (the pid was reused after a kill -9). */
function looksLikeProxy(pid: number): boolean {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('proxy') || cmd.includes('slipway');
  } catch {
    return true; // no /proc here: trust the pid
  }
}

/**
 * Takes the one-daemon-per-home lock. Held by another live process → the failure names its pid;
 * left by a dead one (kill -9) → taken over.
 */
export function takeLock(home: string): Checked<void> {
  const file = proxyFiles(home).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return { ok: true, value: undefined };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isPidAlive(holder) && looksLikeProxy(holder)) {
      return { ok: false, message: `another proxy (pid ${holder}) already serves ${home}` };
    }
    fs.rmSync(file, { force: true });
  }
  return { ok: false, message: `could not take ${file}: another proxy is starting at the same time` };
}

/** Makes this process the lock holder (after an upgrade, when the old holder is leaving). */
export function claimLock(home: string): void {
  writeFileAtomic(proxyFiles(home).lock, `${process.pid}\n`);
}

/** Removes the lock and proxy.json if they are still this process's (at a clean exit). */
export function releaseFiles(home: string): void {
  const files = proxyFiles(home);
  try {
    if (Number.parseInt(fs.readFileSync(files.lock, 'utf8'), 10) === process.pid) fs.rmSync(files.lock, { force: true });
  } catch {
    // already gone
  }
  if (readState(home)?.pid === process.pid) fs.rmSync(files.state, { force: true });
}
