// Adapts the artifact service (pack, store, sign) to what the engine asks of artifacts
// (ports/artifact-service.ts): the engine speaks in builds and digests, not in archives and envelopes.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { leftOutBy, type KeepKind } from '../../core/artifact/lean.js';
import { diffManifests } from '../../core/artifact/manifest.js';
import { runtimeOf } from '../../core/artifact/provenance.js';
import type { ArtifactService as EngineArtifacts, BuildProvenanceInput } from '../../ports/artifact-service.js';
import { packDeterministic } from '../archive/pack.js';
import type { ArtifactService } from './service.js';

/**
 * Every entry of an archive carries this mtime. A constant (rather than the commit time) makes
 * two commits that build identical files share one artifact, which is what build-once wants.
 */
const ARCHIVE_MTIME = 0;

/** The lean rule with `keep` applied, counting what it leaves out. */
const leanRule = (keep: readonly KeepKind[]): { leaveOut: (path: string, type: 'file' | 'dir' | 'symlink') => boolean; count: () => number } => {
  let n = 0;
  return {
    leaveOut: (path, type) => (leftOutBy(path, type, keep) === null ? false : (n++, true)),
    count: () => n,
  };
};

export const createEngineArtifacts = async (service: ArtifactService): Promise<EngineArtifacts> => {
  await service.store.sweepTemp(60 * 60 * 1000).catch(() => 0);
  return {
    async storeBuild(workdir, paths, p: BuildProvenanceInput, pack) {
      const lean = leanRule(pack.keep);
      const r = await service.storeBuild({
        workdir,
        paths,
        mtime: ARCHIVE_MTIME,
        leaveOut: lean.leaveOut,
        statementInput: {
          name: `${p.app}.tar`,
          commit: p.commit,
          repo: `file://${p.repo}`,
          pipelineFileDigest: p.pipelineFileDigest,
          builderId: p.builderId,
          invocationId: p.invocationId,
          startedOn: p.startedOn,
          finishedOn: p.finishedOn,
          inputs: [],
          ...(p.runtime ? { runtime: p.runtime } : {}),
          externalParameters: { buildCommand: p.buildCommand ?? null, artifactPaths: paths.slice(), keep: pack.keep.slice(), sourceDateEpoch: p.sourceDateEpoch },
        },
      });
      return { digest: r.digest, existed: r.existed, size: r.manifest.size, files: r.manifest.files, leftOut: lean.count() };
    },

    async compareBuild(workdir, paths, against, pack) {
      const stored = await service.store.readManifest(against);
      const temp = await service.store.tempPath();
      try {
        const rebuilt = await packDeterministic(workdir, paths, temp, { mtime: ARCHIVE_MTIME, leaveOut: leanRule(pack.keep).leaveOut });
        const d = diffManifests(stored, rebuilt);
        return {
          digest: rebuilt.digest,
          same: rebuilt.digest === stored.digest,
          diff: { added: d.added, removed: d.removed, changed: d.changed.map((c) => `${c.path} (${c.kinds.join(', ')})`) },
        };
      } finally {
        await rm(temp, { force: true });
      }
    },

    async resolve(ref) {
      try {
        return await service.store.resolve(ref);
      } catch (e) {
        if (e instanceof SlipwayError && e.code === 'not_found') return undefined;
        throw e;
      }
    },

    async verify(digest) {
      const v = await service.verifyArtifact(digest);
      if (v.ok) return { ok: true, digest: v.digest, keyid: v.keyid ?? service.keyid };
      return { ok: false, digest: v.digest ?? digest, reason: v.reason, message: v.message };
    },

    async builtOn(digest) {
      const p = (await service.inspect(digest)).provenance;
      return p?.valid === true && p.statement !== null ? runtimeOf(p.statement) : null;
    },

    path(digest) {
      return service.store.path(digest);
    },

    async inspect(digest) {
      const i = await service.inspect(digest);
      return {
        digest: i.digest,
        size: i.size,
        files: i.files,
        entries: i.entryCount,
        paths: i.manifest.entries.slice(0, 200).map((e) => e.path),
        provenance: i.provenance,
      };
    },

    async unpack(digest, dest, opts = {}) {
      if (!opts.overwrite) {
        await service.unpack(digest, dest);
        return;
      }
      // The service unpacks only into a new directory; unpack beside, then lay the files over dest.
      const staging = mkdtempSync(join(dest, '..', '.unpack-'));
      try {
        await service.unpack(digest, join(staging, 'a'));
        cpSync(join(staging, 'a'), dest, { recursive: true, force: true, verbatimSymlinks: true });
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    },
  };
};
