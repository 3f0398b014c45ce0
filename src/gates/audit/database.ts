// The offline OSV database: read from a directory of OSV JSON files (searched recursively) or a
// zip of them, checked record by record, and indexed by npm package name. A bad file is named and
// either skipped with a warning or fatal, as the caller chooses.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { asOsvRecord, type OsvRecord } from './osv.js';
import { ZipFormatError, readZip } from './zip.js';

export interface OsvDatabase {
  /** Every record read (all ecosystems), one per id: the latest `modified` wins. */
  records: OsvRecord[];
  /** npm package name → records with an npm entry for it. */
  byPackage: Map<string, OsvRecord[]>;
}

export interface LoadOsvOptions {
  /** 'skip' (default): a file that is not JSON or not an OSV record is left out with a warning. */
  onBadFile?: 'skip' | 'fail';
}

export type LoadOsvResult =
  | { ok: true; db: OsvDatabase; warnings: string[] }
  | { ok: false; reason: 'missing' | 'bad-file' | 'unreadable'; message: string };

/** Builds the index from records already read (pure). Later `modified` wins for a repeated id. */
export function indexOsvRecords(records: Iterable<OsvRecord>): OsvDatabase {
  const byId = new Map<string, OsvRecord>();
  for (const r of records) {
    const prev = byId.get(r.id);
    if (prev === undefined || (r.modified ?? '') > (prev.modified ?? '')) byId.set(r.id, r);
  }
  const byPackage = new Map<string, OsvRecord[]>();
  for (const r of byId.values()) {
    const names = new Set((r.affected ?? []).filter((a) => a.package?.ecosystem === 'npm').map((a) => a.package?.name as string));
    for (const n of names) {
      const list = byPackage.get(n);
      if (list) list.push(r);
      else byPackage.set(n, [r]);
    }
  }
  return { records: [...byId.values()], byPackage };
}

async function jsonFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else if (ent.isFile() && ent.name.endsWith('.json')) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

function decode(name: string, bytes: Buffer): OsvRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return `${name}: not valid JSON (${(e as Error).message})`;
  }
  const r = asOsvRecord(value);
  return typeof r === 'string' ? `${name}: ${r}` : r;
}

const HINT = 'point the audit gate\'s "database" at a directory or zip of OSV JSON files (e.g. osv.dev\'s npm/all.zip)';

/**
 * Loads an OSV database from a directory (every *.json below it) or a .zip file.
 *
 * @example
 *   const r = await loadOsvDatabase('test/fixtures/osv/npm');
 *   if (!r.ok) throw new Error(r.message);
 */
export async function loadOsvDatabase(path: string, opts: LoadOsvOptions = {}): Promise<LoadOsvResult> {
  const onBad = opts.onBadFile ?? 'skip';
  let info;
  try {
    info = await stat(path);
  } catch {
    return { ok: false, reason: 'missing', message: `OSV database not found at ${path}: ${HINT}` };
  }
  const records: OsvRecord[] = [];
  const warnings: string[] = [];
  const take = (name: string, bytes: Buffer): LoadOsvResult | undefined => {
    const r = decode(name, bytes);
    if (typeof r !== 'string') {
      records.push(r);
      return undefined;
    }
    if (onBad === 'fail') return { ok: false, reason: 'bad-file', message: `OSV database ${path}: ${r}` };
    warnings.push(`${r} — skipped`);
    return undefined;
  };
  try {
    if (info.isDirectory()) {
      for (const file of await jsonFilesUnder(path)) {
        const failed = take(relative(path, file), await readFile(file));
        if (failed) return failed;
      }
    } else {
      let entries;
      try {
        entries = readZip(await readFile(path));
      } catch (e) {
        if (e instanceof ZipFormatError) return { ok: false, reason: 'bad-file', message: `OSV database ${path} is not a readable zip: ${e.message}` };
        throw e;
      }
      for (const entry of entries.filter((x) => x.name.endsWith('.json'))) {
        let bytes: Buffer;
        try {
          bytes = entry.read();
        } catch (e) {
          if (!(e instanceof ZipFormatError)) throw e;
          if (onBad === 'fail') return { ok: false, reason: 'bad-file', message: `OSV database ${path}: ${e.message}` };
          warnings.push(`${e.message} — skipped`);
          continue;
        }
        const failed = take(entry.name, bytes);
        if (failed) return failed;
      }
    }
  } catch (e) {
    return { ok: false, reason: 'unreadable', message: `OSV database ${path} cannot be read: ${(e as Error).message}` };
  }
  if (records.length === 0) warnings.push(`OSV database ${path} holds no records, so every package would pass: ${HINT}`);
  return { ok: true, db: indexOsvRecords(records), warnings };
}
