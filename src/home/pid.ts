// Whether a process id names a live process (EPERM: alive, but another user's). A zombie — a
// process that has exited and waits for its parent to read its status — does not count: it holds
// no lock and serves nothing, and kill(0) alone would take it for alive.
import { readFileSync } from 'node:fs';

export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself hold parentheses.
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
};
