// The file-system side of log retention: finds the log files of a home (instance logs under
// logs/<env>/, the control plane's server.log, the proxy's proxy/proxy.log, and their rotations),
// rotates those a daemon writes, and removes what the plan (core/retention/logs.ts) lets go.

import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkEnvName } from '../../core/env-name.js';
import type { LogFile, LogOwner } from '../../core/retention/logs.js';
import type { LogDisk } from '../../ports/retention.js';
import { logFilesInOrder, rotateByCopy } from './rotate.js';

const INSTANCE_LOG = /^(.+)\.log(?:\.([1-9]\d{0,5}))?$/;

export function createFsLogDisk(options: { home: string }): LogDisk {
  const home = resolve(options.home);
  const logs = join(home, 'logs');
  const daemons: { name: 'server' | 'proxy'; dir: string; base: string }[] = [
    { name: 'server', dir: home, base: 'server.log' },
    { name: 'proxy', dir: join(home, 'proxy'), base: 'proxy.log' },
  ];
  const file = async (path: string, owner: LogOwner, part: number): Promise<LogFile | null> => {
    const st = await lstat(path).catch(() => null);
    return st?.isFile() === true ? { path, owner, part, bytes: st.size, modifiedAt: st.mtimeMs } : null;
  };
  /** Whether `path` is one that scan lists and that may be removed. */
  const removable = (f: LogFile): boolean => {
    const p = resolve(f.path);
    if (f.owner.kind === 'instance') return p.startsWith(`${logs}/`) && INSTANCE_LOG.test(p.slice(p.lastIndexOf('/') + 1));
    const d = daemons.find((x) => x.name === (f.owner as { name: string }).name);
    return d !== undefined && f.part > 0 && p === join(d.dir, `${d.base}.${f.part}`);
  };

  return {
    async tail(path, lines) {
      const p = resolve(path);
      if (!p.startsWith(`${logs}/`)) throw new Error(`refusing to read ${path}: not an instance log of this home`);
      const taken: string[] = [];
      // Newest file first, each read whole (a file is at most retention.log_max_bytes), until enough.
      for (const f of logFilesInOrder(p).reverse()) {
        const text = await readFile(f, 'utf8').catch(() => '');
        const ls = text.split('\n');
        if (ls[ls.length - 1] === '') ls.pop();
        taken.unshift(...ls.slice(Math.max(0, ls.length - (lines - taken.length))));
        if (taken.length >= lines) break;
      }
      return taken;
    },

    async scan() {
      const found: LogFile[] = [];
      for (const env of await readdir(logs).catch(() => [] as string[])) {
        if (!checkEnvName(env).ok) continue;
        for (const name of await readdir(join(logs, env)).catch(() => [] as string[])) {
          const m = INSTANCE_LOG.exec(name);
          if (m === null) continue;
          const f = await file(join(logs, env, name), { kind: 'instance', env, id: m[1] ?? '' }, m[2] === undefined ? 0 : Number(m[2]));
          if (f !== null) found.push(f);
        }
      }
      for (const d of daemons) {
        for (const name of await readdir(d.dir).catch(() => [] as string[])) {
          const part = name === d.base ? 0 : name.startsWith(`${d.base}.`) && /^[1-9]\d{0,5}$/.test(name.slice(d.base.length + 1)) ? Number(name.slice(d.base.length + 1)) : -1;
          if (part < 0) continue;
          const f = await file(join(d.dir, name), { kind: 'daemon', name: d.name }, part);
          if (f !== null) found.push(f);
        }
      }
      return found;
    },

    rotate(f) {
      rotateByCopy(resolve(f.path));
      return Promise.resolve();
    },

    async remove(f) {
      if (!removable(f)) throw new Error(`refusing to remove ${f.path}: not a log file this home's gc may remove`);
      const st = await lstat(f.path).catch(() => null);
      if (st === null) return 0;
      await rm(f.path, { force: true });
      return st.size;
    },
  };
}
