// The base layer of Slipway's images: the Node.js runtime the control plane builds with (so that a
// native module built by the build step loads in the image), the shared libraries `ldd` names for
// it, and a POSIX shell (`run.command` is a shell command, as for processes). No base image can be
// pulled on the machines Slipway targets; this one is made from the host and cached by digest.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { packDeterministic } from '../archive/index.js';

/** One file of the base root: where it is on the host, where it goes in the image. */
export interface RootFile {
  from: string;
  to: string;
}

/** `ldd` output → the absolute library paths it names (the vdso, which is no file, left out). */
export function parseLdd(output: string): string[] {
  const found = new Set<string>();
  for (const line of output.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1] !== undefined) found.add(m[1]);
  }
  return [...found].sort();
}

/** The `ldd` command of a binary, as an argument array. */
export const lddCommand = (binary: string): string[] => ['ldd', binary];

function librariesOf(binary: string): string[] {
  const [cmd, ...args] = lddCommand(binary);
  const r = spawnSync(cmd as string, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new SlipwayError('failed', `cannot list the libraries of ${binary}: ${(r.stderr || r.error?.message || '').trim()}`, 'install ldd (Debian: libc-bin)');
  return parseLdd(r.stdout);
}

/** The files of the base root: node at /usr/local/bin/node, a shell at /bin/sh, and their libraries. */
export function baseRootFiles(node = process.execPath, shell = '/bin/sh'): RootFile[] {
  const files = new Map<string, RootFile>();
  files.set('/usr/local/bin/node', { from: realpathSync(node), to: '/usr/local/bin/node' });
  files.set('/bin/sh', { from: realpathSync(shell), to: '/bin/sh' });
  for (const bin of [node, shell]) for (const lib of librariesOf(bin)) files.set(lib, { from: realpathSync(lib), to: lib });
  return [...files.values()].sort((a, b) => (a.to < b.to ? -1 : 1));
}

/** What identifies a base root cheaply (without reading 100 MB): each file's path, size, mtime and inode. */
export function baseRootKey(files: readonly RootFile[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    const st = statSync(f.from);
    h.update(`${f.to}\0${f.from}\0${st.size}\0${st.mtimeMs}\0${st.ino}\n`);
  }
  return h.digest('hex');
}

/**
 * Packs the base root into a deterministic tar at `outFile` (entries sorted, mtime `mtime`, uid 0).
 * Directories of the image (/tmp, /app, /data) are made here too, for the runtime's mounts.
 */
export async function packBaseRoot(files: readonly RootFile[], outFile: string, mtime = 0): Promise<{ digest: string; size: number }> {
  const stage = mkdtempSync(join(dirname(outFile), '.base-'));
  try {
    for (const f of files) {
      const dest = join(stage, f.to);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(f.from, dest);
    }
    for (const d of ['tmp', 'app', 'data']) mkdirSync(join(stage, d), { recursive: true });
    const tops = [...new Set([...files.map((f) => f.to.split('/')[1] as string), 'tmp', 'app', 'data'])].sort();
    const packed = await packDeterministic(stage, tops, outFile, { mtime });
    return { digest: packed.digest, size: packed.size };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
