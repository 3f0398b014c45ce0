// Rotated log files: `FILE.1` is the newest rotation, `FILE.2` the one before… Shared by the
// runtime shim (which rotates its instance log as it writes) and gc (which rotates the logs of
// daemons that write to an inherited descriptor), and read back in order by `slipway logs`.

import { copyFileSync, readdirSync, renameSync, truncateSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The rotations of `file` that exist, as [part, path], newest (1) first. */
export function rotatedParts(file: string): [number, string][] {
  const base = basename(file);
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return [];
  }
  const parts: [number, string][] = [];
  for (const n of names) {
    if (!n.startsWith(`${base}.`)) continue;
    const rest = n.slice(base.length + 1);
    if (/^[1-9]\d{0,5}$/.test(rest)) parts.push([Number(rest), join(dirname(file), n)]);
  }
  return parts.sort((a, b) => a[0] - b[0]);
}

/** Every file of a log, oldest first: its rotations from the highest number, then `file` itself. */
export const logFilesInOrder = (file: string): string[] => [...rotatedParts(file).reverse().map(([, p]) => p), file];

/** Renames `FILE.n` to `FILE.n+1`, highest first, so that `FILE.1` is free. */
function shift(file: string): void {
  for (const [n, p] of rotatedParts(file).reverse()) renameSync(p, `${file}.${n + 1}`);
}

/** Rotation by its writer: the file becomes `FILE.1`; the writer then opens a new `FILE`. */
export function rotateByRename(file: string): void {
  shift(file);
  renameSync(file, `${file}.1`);
}

/**
 * Rotation of a file another process writes through a descriptor it keeps (opened for appending):
 * copied to `FILE.1`, then emptied in place, so the writer carries on at its start. A line written
 * between the copy and the truncation is lost: the price of not stopping the writer.
 */
export function rotateByCopy(file: string): void {
  shift(file);
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
}
