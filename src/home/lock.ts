// The lock that makes a control plane the only one of its home: a file holding the holder's pid.
//
// Taken atomically: the pid is written to a file of this process's own first, then hard-linked
// into place (link fails if the lock exists), so that the lock file is never seen empty or half
// written. A lock whose holder is dead (or a zombie) is stale and is broken — but only by one
// process at a time, under an exclusive `.break` file, and only after reading the holder again
// there, so that two starters racing over a stale lock cannot both remove it and both take it.

import { linkSync, openSync, closeSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { pidAlive } from './pid.js';

/** A lock file or break file that nobody could read a pid from for this long was left by a crash. */
const ABANDONED_MS = 10_000;

/** The pid the lock file names, or undefined (no file, or not a pid). */
export const lockHolder = (file: string): number | undefined => {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

const ageMs = (file: string): number | undefined => {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
};

/**
 * Whether another live process holds the lock (or is taking it: a lock file without a pid that is
 * younger than ABANDONED_MS). A caller that finds this true must wait for that process, not start
 * its own.
 */
export const lockHeldByOther = (file: string): boolean => {
  const holder = lockHolder(file);
  if (holder !== undefined) return holder !== process.pid && pidAlive(holder);
  const age = ageMs(file);
  return age !== undefined && age < ABANDONED_MS;
};

/** Removes the lock if, read again under the break file, it is still stale. */
const breakStale = (file: string): void => {
  const breaker = `${file}.break`;
  const age = ageMs(breaker);
  if (age !== undefined && age > ABANDONED_MS) rmSync(breaker, { force: true });
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch {
    return; // another process is breaking it: the next attempt sees what it did
  }
  try {
    if (!lockHeldByOther(file) && lockHolder(file) !== process.pid) rmSync(file, { force: true });
  } finally {
    closeSync(fd);
    rmSync(breaker, { force: true });
  }
};

/** Takes the lock; false when a live process holds it or is taking it. */
export const acquireLock = (file: string): boolean => {
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, String(process.pid), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, file);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (lockHolder(file) === process.pid) return true;
      if (lockHeldByOther(file)) return false;
      breakStale(file);
    }
    return false;
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      // already gone
    }
  }
};
