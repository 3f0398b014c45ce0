// Scans a set of files given as data — a tree walked from disk, the entries of an archive, or
// files built in a test — with the same limits and the same report. No I/O of its own.

import { applyAllowlist, EMPTY_ALLOWLIST, type Allowlist, type AllowedFinding, type AllowlistEntry } from './allowlist.js';
import { scanText, type SecretFinding } from './scan-text.js';

export interface FileToScan {
  /** Relative path with '/' separators. */
  path: string;
  /** The bytes (or text) of the file; omit when the file was too large to read. */
  content?: Buffer | string;
  /** Size in bytes, when known without reading (used for the size limit). */
  size?: number;
}

export interface ScanOptions {
  allowlist?: Allowlist;
  /** Files larger than this are skipped and listed in the report (default 1 MiB). */
  maxFileBytes?: number;
  /** Directory names skipped wherever they appear (default ['.git', 'node_modules']). */
  skipDirs?: readonly string[];
  /** Clock for allowlist expiry. */
  now?: Date;
}

export interface ScanReport {
  /** Findings no allowlist entry accepts: the gate fails when this is not empty. */
  findings: SecretFinding[];
  /** Findings an allowlist entry accepted, with its reason. */
  allowed: AllowedFinding[];
  expiredAllowlistEntries: AllowlistEntry[];
  unusedAllowlistEntries: AllowlistEntry[];
  stats: {
    filesScanned: number;
    bytesScanned: number;
    /** Files with a NUL byte in their first 8000 bytes. */
    binarySkipped: number;
    /** Files over the size limit, which were not scanned. */
    tooLarge: { path: string; size: number }[];
    /** Directories not scanned because of their name (e.g. node_modules), outermost first. */
    skippedDirs: string[];
    /** Files that could not be read, with the reason. */
    unreadable: { path: string; reason: string }[];
    /** Symbolic links, devices, fifos: not followed, not scanned. */
    notRegularFiles: number;
  };
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_SKIP_DIRS: readonly string[] = ['.git', 'node_modules'];

const BINARY_SNIFF = 8000;

/** True when the bytes look binary: a NUL byte early in the file (git's own heuristic). */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF).includes(0);
}

/** Normalises an archive or tree path: '/' separators, no leading './' or '/'. */
export function normalisePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(?:\.\/|\/)+/, '');
}

/** The outermost skipped directory a file path lies in ('a/node_modules' for 'a/node_modules/b/c.js'). */
export function skippedDirOf(path: string, skipDirs: readonly string[]): string | undefined {
  const parts = path.split('/');
  parts.pop();
  const i = parts.findIndex((p) => skipDirs.includes(p));
  return i === -1 ? undefined : parts.slice(0, i + 1).join('/');
}

/** Collects findings file by file, then applies the allowlist once at the end. */
export class ScanAccumulator {
  private readonly raw: SecretFinding[] = [];
  private readonly skipped = new Set<string>();
  readonly maxFileBytes: number;
  readonly skipDirs: readonly string[];
  readonly stats: ScanReport['stats'] = { filesScanned: 0, bytesScanned: 0, binarySkipped: 0, tooLarge: [], skippedDirs: [], unreadable: [], notRegularFiles: 0 };

  constructor(private readonly opts: ScanOptions = {}) {
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.skipDirs = opts.skipDirs ?? DEFAULT_SKIP_DIRS;
  }

  /** Whether a file of this path and size would be scanned (so callers can avoid reading it). */
  wants(path: string, size: number | undefined): 'scan' | 'skipped-dir' | 'too-large' {
    if (skippedDirOf(normalisePath(path), this.skipDirs) !== undefined) return 'skipped-dir';
    if (size !== undefined && size > this.maxFileBytes) return 'too-large';
    return 'scan';
  }

  add(file: FileToScan): void {
    const path = normalisePath(file.path);
    const size = file.size ?? (file.content === undefined ? undefined : Buffer.byteLength(file.content));
    const verdict = this.wants(path, size);
    if (verdict === 'skipped-dir') {
      this.skippedDir(skippedDirOf(path, this.skipDirs) ?? path);
      return;
    }
    if (verdict === 'too-large') {
      this.stats.tooLarge.push({ path, size: size ?? 0 });
      return;
    }
    if (file.content === undefined) return;
    let text: string;
    if (typeof file.content === 'string') text = file.content;
    else {
      if (looksBinary(file.content)) {
        this.stats.binarySkipped++;
        return;
      }
      text = file.content.toString('utf8');
    }
    this.stats.filesScanned++;
    this.stats.bytesScanned += size ?? 0;
    for (const f of scanText(path, text)) this.raw.push(f);
  }

  unreadable(path: string, reason: string): void {
    this.stats.unreadable.push({ path: normalisePath(path), reason });
  }

  /** Records a directory left out because of its name. */
  skippedDir(path: string): void {
    const p = normalisePath(path);
    if (!this.skipped.has(p)) {
      this.skipped.add(p);
      this.stats.skippedDirs.push(p);
    }
  }

  notRegular(): void {
    this.stats.notRegularFiles++;
  }

  finish(): ScanReport {
    const outcome = applyAllowlist(this.raw, this.opts.allowlist ?? EMPTY_ALLOWLIST, this.opts.now ?? new Date());
    const byPlace = (a: SecretFinding, b: SecretFinding): number => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
    return {
      findings: outcome.findings.sort(byPlace),
      allowed: outcome.allowed.sort((a, b) => byPlace(a.finding, b.finding)),
      expiredAllowlistEntries: outcome.expired,
      unusedAllowlistEntries: outcome.unused,
      stats: { ...this.stats, skippedDirs: [...this.stats.skippedDirs].sort() },
    };
  }
}

/**
 * Scans files given as data (sync or async iterable).
 *
 * @example
 *   await scanFiles([{ path: '.env', content: 'API_TOKEN=…' }], { allowlist })
 */
export async function scanFiles(files: Iterable<FileToScan> | AsyncIterable<FileToScan>, opts: ScanOptions = {}): Promise<ScanReport> {
  const acc = new ScanAccumulator(opts);
  for await (const f of files) acc.add(f);
  return acc.finish();
}
