// The per-user list of Slipway homes on this machine and the ports their environments take, so
// that `slipway init` in a second app picks ports the first one already uses or has claimed.
// `slipway init` claims the ports it writes; the control plane records the ports it serves on at
// start and after each route change. One JSON file, replaced atomically; a lost update between
// two writers at the same instant costs only a stale hint, since init also tries each port.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../adapters/fs/files.js';

export interface HomeEntry {
  /** The app's repository. */
  repo: string;
  app?: string;
  /** Port of each environment, as claimed by init or served by the control plane. */
  ports: Record<string, number>;
  /** Who wrote the entry last: `init` (a claim) or `control-plane` (what is served). */
  by: 'init' | 'control-plane';
  updatedAt: string;
}

export interface Registry {
  version: 1;
  /** Keyed by the home's absolute path. */
  homes: Record<string, HomeEntry>;
}

/**
 * The registry file: `$SLIPWAY_STATE_DIR/homes.json`, else `$XDG_STATE_HOME/slipway/homes.json`,
 * else `~/.local/state/slipway/homes.json`.
 */
export const registryFile = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.SLIPWAY_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'slipway'), 'homes.json');

const empty = (): Registry => ({ version: 1, homes: {} });

const isEntry = (v: unknown): v is HomeEntry => {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<HomeEntry>;
  return typeof e.repo === 'string' && typeof e.ports === 'object' && e.ports !== null && Object.values(e.ports).every((p) => Number.isInteger(p));
};

/** The registry; a missing or unreadable file is an empty one (it only ever holds hints). */
export function readRegistry(file: string = registryFile()): Registry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return empty();
  }
  const homes = (parsed as { homes?: unknown }).homes;
  if (typeof homes !== 'object' || homes === null) return empty();
  const out = empty();
  for (const [home, entry] of Object.entries(homes)) if (isEntry(entry)) out.homes[home] = entry;
  return out;
}

/** Records (or replaces) one home's entry, dropping entries whose repository is gone. */
export function recordHome(home: string, entry: Omit<HomeEntry, 'updatedAt'>, file: string = registryFile(), now: Date = new Date()): void {
  const reg = readRegistry(file);
  for (const [h, e] of Object.entries(reg.homes)) if (!existsSync(e.repo)) delete reg.homes[h];
  reg.homes[home] = { ...entry, updatedAt: now.toISOString() };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(reg, null, 2)}\n`, 0o600);
}

/** Every port another home (not `except`) uses or claims, with who: `8081 → /srv/shop (staging)`. */
export function portsOfOtherHomes(reg: Registry, except: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [home, e] of Object.entries(reg.homes)) {
    if (home === except || !existsSync(e.repo)) continue;
    for (const [env, port] of Object.entries(e.ports)) out.set(port, `${e.app ?? e.repo} (${env})`);
  }
  return out;
}
