// Whether a process group still runs: the shim waits on its app's group after SIGTERM, and the
// process runtime waits on it when a shim is gone. kill(-pgid, 0) alone also counts zombies: a
// member that exited but whose parent has not reaped it yet. Under bubblewrap the app's group holds
// bwrap's inner process (the init of the app's pid namespace); when the outer bwrap dies first on
// SIGTERM, the inner one is orphaned and, once the app exits, stays a zombie until the machine's
// init reaps it — a lazy init (a container's or a micro-VM's) takes a second or more. Counting it
// made every stop of a polite app wait out the whole grace period and end in a SIGKILL.

import { readdirSync, readFileSync } from 'node:fs';

/** The state letter and process group of `pid` from /proc (null when it is gone). */
function statOf(pid: string): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses, so read after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', pgrp: Number(rest[2]) };
  } catch {
    return null;
  }
}

/**
 * Whether any process of the group `pgid` still runs (a zombie does not). Without /proc, what
 * kill(-pgid, 0) says.
 */
export function groupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return true;
  }
  for (const pid of pids) {
    const s = statOf(pid);
    if (s !== null && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X') return true;
  }
  return false;
}
