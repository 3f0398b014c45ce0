import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confineArgs, type ConfinePlan } from './args.js';

const plan = (over: Partial<ConfinePlan> = {}): ConfinePlan => ({
  mode: 'bwrap', command: 'npm test', cwd: '/box/work/t1', writable: ['/box/work/t1'], readOnly: [],
  hideDirs: ['/home/u/app/.slipway', '/box'], hideFiles: ['/keys/k.key'], uid: 64000, gid: 64000, ...over,
});

/** The values that follow each occurrence of `flag`. */
const after = (args: string[], flag: string, n = 1): string[][] =>
  args.flatMap((a, i) => (a === flag ? [args.slice(i + 1, i + 1 + n)] : []));

describe('confineArgs', () => {
  it('bwrap: everything read-only, private /tmp and /proc, the hidden paths empty, its own directories bound back', () => {
    const c = confineArgs(plan());
    assert.equal(c.file, 'env');
    assert.equal(c.uid, undefined);
    assert.deepEqual(c.args.slice(0, 11), ['--ignore-signal=TERM,INT,HUP', 'bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp']);
    assert.ok(c.args.includes('--die-with-parent'));
    assert.deepEqual(after(c.args, '--tmpfs'), [['/tmp'], ['/box'], ['/home/u/app/.slipway']]);
    assert.deepEqual(after(c.args, '--ro-bind', 2), [['/', '/'], ['/dev/null', '/keys/k.key']]);
    assert.deepEqual(after(c.args, '--bind', 2), [['/box/work/t1', '/box/work/t1']]);
    // The bind comes after the tmpfs that hides its parent, and its parents are made traversable.
    assert.ok(c.args.indexOf('--bind') > c.args.lastIndexOf('--tmpfs'));
    assert.deepEqual(after(c.args, '--dir'), [['/box/work']]);
    // The hidden directories are read-only once the binds are in, so nothing writes where the home is.
    assert.deepEqual(after(c.args, '--remount-ro'), [['/box'], ['/home/u/app/.slipway']]);
    assert.ok(c.args.indexOf('--remount-ro') > c.args.lastIndexOf('--bind'));
    assert.deepEqual(c.args.slice(-8), ['--unshare-all', '--share-net', '--', 'env', '--default-signal=TERM,INT,HUP', '/bin/sh', '-c', 'npm test']);
  });

  it('skips a hidden path inside another one or inside /tmp', () => {
    const c = confineArgs(plan({ hideDirs: ['/tmp/x/home', '/box', '/box/inner'], hideFiles: ['/tmp/keys/k', '/box/k'] }));
    assert.deepEqual(after(c.args, '--tmpfs'), [['/tmp'], ['/box']]);
    assert.deepEqual(after(c.args, '--ro-bind', 2), [['/', '/']]);
  });

  it('bwrap+uid: namespaces without a user namespace, then setpriv to the sandbox uid with every capability dropped', () => {
    const c = confineArgs(plan({ mode: 'bwrap+uid', readOnly: ['/box/releases/prod/v1-abc'], outlivesParent: true }));
    assert.equal(c.file, 'env');
    assert.ok(!c.args.includes('--die-with-parent'), 'an app outlives its shim');
    assert.ok(!c.args.includes('--unshare-all') && c.args.includes('--unshare-pid'));
    const sep = c.args.indexOf('setpriv');
    assert.deepEqual(c.args.slice(sep, sep + 8), ['setpriv', '--reuid=64000', '--regid=64000', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--']);
    assert.deepEqual(c.args.slice(-3), ['/bin/sh', '-c', 'npm test']);
    assert.deepEqual(after(c.args, '--ro-bind', 2).at(-1), ['/box/releases/prod/v1-abc', '/box/releases/prod/v1-abc']);
  });

  it('uid: the shell under the sandbox uid; none: the shell as it is', () => {
    assert.deepEqual(confineArgs(plan({ mode: 'uid' })), { file: '/bin/sh', args: ['-c', 'npm test'], uid: 64000, gid: 64000 });
    assert.deepEqual(confineArgs(plan({ mode: 'none' })), { file: '/bin/sh', args: ['-c', 'npm test'] });
  });
});
