import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor } from '../test-support/wait.js';
import { groupRunning } from './group.js';

const stateOf = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
};

test('a process group whose only member is a zombie no parent has reaped does not run; kill(-pgid, 0) alone says it does', async () => {
  // sh starts `setsid true` in the background (its own session and group, which exits at once) and
  // becomes `sleep`, which never waits for it: the group is left with one zombie.
  const parent = spawn('sh', ['-c', 'setsid true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = await waitFor(() => {
      const n = Number(String(parent.stdout.read() ?? '').trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    }, { what: 'the background pid' });
    await waitFor(() => stateOf(pid) === 'Z', { what: `process ${pid} to be a zombie` });
    const read = readFileSync(`/proc/${pid}/stat`, 'utf8');
    assert.equal(Number(read.slice(read.lastIndexOf(')') + 2).split(' ')[2]), pid, 'it leads its own group');
    assert.doesNotThrow(() => process.kill(-pid, 0), 'the kernel still counts the zombie in its group');
    assert.equal(groupRunning(pid), false);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a group with a running member runs; a group that is gone does not', async () => {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  try {
    assert.ok(child.pid !== undefined);
    assert.equal(groupRunning(child.pid), true);
  } finally {
    child.kill('SIGKILL');
  }
  await waitFor(() => !groupRunning(child.pid ?? 0), { what: 'the killed group to be gone' });
  assert.equal(groupRunning(2 ** 22 + 17), false, 'a pgid no process has');
});
