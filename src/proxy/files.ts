// The proxy's files in the Slipway home: routes and state written atomically (temp, fsync, rename,
// fsync of the folder), the admin token kept at mode 0600, and the lock that keeps one daemon per home.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { proxyFiles, type EnvRoutes, type ProxyStateFile } from '../ports/proxy.js';
import { checkRouteEnv, checkEnvRoutes, type Checked } from './validate.js';

/** Replaces `file` with `data` so that a reader or a crash sees the old or the new file, never a mix. */
export function writeAtomic(file: string, data: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

/** The admin token, created (32 random bytes, hex, mode 0600) on first use. */
export function ensureToken(home: string): string {
  const files = proxyFiles(home);
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  try {
    return readToken(files.token);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('hex');
  try {
    fs.writeFileSync(files.token, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return token;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readToken(files.token);
    throw err;
  }
}

function readToken(file: string): string {
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`${file} holds no usable token: delete it and start the proxy again`);
  return token;
}

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
  writeAtomic(proxyFiles(home).routes, `${JSON.stringify(body, null, 2)}\n`);
}

export function writeState(home: string, state: ProxyStateFile): void {
  writeAtomic(proxyFiles(home).state, `${JSON.stringify(state)}\n`);
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
  writeAtomic(proxyFiles(home).lock, `${process.pid}\n`);
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
