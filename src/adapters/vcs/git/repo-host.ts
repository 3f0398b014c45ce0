// The repository-host port over git: the canonical repository is `<home>/repo.git`, a bare
// repository whose receive hooks run Slipway (see canonical.ts for the git commands).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RepoHost } from '../../../ports/repo-host.js';
import { canonicalPath, casRef, deleteRefIf, ensureCanonical, fetchRefInto, fetchRemoteInto, isAncestor, mergeOnto, publishMainTo, readRef, setRef, type HookCommand } from './canonical.js';

export const createGitRepoHost = (opts: { home: string; workRepo: string; hooks: HookCommand }): RepoHost => {
  const path = canonicalPath(opts.home);
  return {
    path,
    exists: () => existsSync(join(path, 'HEAD')),
    ensure: async () => {
      const r = await ensureCanonical(opts);
      return { created: r.created, main: r.main };
    },
    readRef: (ref) => readRef(path, ref),
    setRef: (ref, value, reason) => setRef(path, ref, value, reason),
    casRef: (ref, value, expected, reason) => casRef(path, ref, value, expected, reason),
    deleteRefIf: (ref, expected) => deleteRefIf(path, ref, expected),
    fetchFrom: (repo, src, dst) => fetchRefInto(path, repo, src, dst),
    fetchRemote: (url, src, dst) => fetchRemoteInto(path, url, src, dst),
    isAncestor: (ancestor, descendant) => isAncestor(path, ancestor, descendant),
    mergeOnto: (tip, item, message) => mergeOnto(path, tip, item, message),
    publishMainTo: (workRepo) => publishMainTo(path, workRepo),
  };
};
