// The artifact store on the local file system: content-addressed blobs under
// `<home>/artifacts/sha256/`, read-only, with manifest and provenance beside them (the layout and
// the contract are in ports/artifacts.ts).

import { chmod, copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { canonicalJson } from '../../core/canonical-json.js';
import { digestOf, hexOf, parseDigestRef, resolveDigestRef, type Digest } from '../../core/artifact/digest.js';
import { parseEnvelope, type DsseEnvelope } from '../../core/artifact/dsse.js';
import { MANIFEST_SCHEMA, parseManifest, type ArtifactManifest } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import type { ArtifactStore, ProvenanceCheck, StoredArtifact, StoreVerdict } from '../../ports/artifacts.js';
import { fsyncPath, sha256File, tempName, writeFileAtomic } from '../fs/files.js';

const HEX64 = /^[0-9a-f]{64}$/;

export interface FsStoreOptions {
  /** Slipway's home; the store lives in `<home>/artifacts/sha256/`. */
  home: string;
  /** Judges provenance in `verify`; without it, `verify` only checks that provenance is there and well-formed. */
  checkProvenance?: ProvenanceCheck;
}

/** Creates the file-system artifact store (the directory is created on first write). */
export function createFsArtifactStore(options: FsStoreOptions): ArtifactStore {
  return new FsArtifactStore(join(resolve(options.home), 'artifacts', 'sha256'), options.checkProvenance);
}

class FsArtifactStore implements ArtifactStore {
  constructor(
    readonly dir: string,
    private readonly checkProvenance?: ProvenanceCheck,
  ) {}

  private blob = (hex: string): string => join(this.dir, hex);
  private manifestFile = (hex: string): string => join(this.dir, `${hex}.manifest.json`);
  private provenanceFile = (hex: string): string => join(this.dir, `${hex}.provenance.json`);

  async tempPath(): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    return tempName(join(this.dir, 'upload'));
  }

  async put(tempFile: string, manifest: ArtifactManifest): Promise<{ digest: Digest; existed: boolean }> {
    const hex = await sha256File(tempFile);
    const digest = digestOf(hex);
    if (manifest.digest !== digest) {
      await rm(tempFile, { force: true });
      throw new SlipwayError('corrupt', `the manifest names ${manifest.digest} but the archive's bytes hash to ${digest}`);
    }
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    // The manifest goes first, so that a stored blob always has one.
    const storedManifest = await this.readManifestFile(hex);
    if (storedManifest?.digest !== digest) {
      writeFileAtomic(this.manifestFile(hex), canonicalJson({ schema: MANIFEST_SCHEMA, ...manifest }), 0o444);
    }
    if (await this.blobIntact(hex)) {
      await rm(tempFile, { force: true });
      return { digest, existed: true };
    }
    let inPlace = tempFile;
    if (resolve(dirname(tempFile)) !== this.dir) {
      // rename only works within one file system: copy next to the blob first.
      inPlace = tempName(this.blob(hex));
      await copyFile(tempFile, inPlace);
      await rm(tempFile, { force: true });
    }
    await fsyncPath(inPlace);
    await chmod(inPlace, 0o444);
    await rename(inPlace, this.blob(hex));
    await fsyncPath(this.dir);
    return { digest, existed: false };
  }

  async putProvenance(ref: string, envelope: DsseEnvelope, options: { replace?: boolean } = {}): Promise<{ written: boolean }> {
    const hex = hexOf(await this.resolve(ref));
    const checked = parseEnvelope(envelope);
    if (!checked.ok) throw new TypeError(`putProvenance: ${checked.message}`);
    if (options.replace !== true && (await exists(this.provenanceFile(hex)))) return { written: false };
    writeFileAtomic(this.provenanceFile(hex), `${JSON.stringify(envelope, null, 2)}\n`, 0o444);
    return { written: true };
  }

  async resolve(ref: string): Promise<Digest> {
    const r = await this.tryResolve(ref);
    if (r.ok) return r.digest;
    throw new SlipwayError('not_found', r.message, 'list the stored artifacts to see their digests');
  }

  async has(ref: string): Promise<boolean> {
    return (await this.tryResolve(ref)).ok;
  }

  async path(ref: string): Promise<string> {
    return this.blob(hexOf(await this.resolve(ref)));
  }

  async list(): Promise<StoredArtifact[]> {
    const out: StoredArtifact[] = [];
    for (const hex of await this.blobNames()) {
      const st = await stat(this.blob(hex)).catch(() => null);
      if (st !== null) out.push({ digest: digestOf(hex), size: st.size, storedAt: st.mtime.toISOString() });
    }
    return out.sort((a, b) => b.storedAt.localeCompare(a.storedAt) || a.digest.localeCompare(b.digest));
  }

  async readManifest(ref: string): Promise<ArtifactManifest> {
    const digest = await this.resolve(ref);
    const m = await this.readManifestFile(hexOf(digest));
    if (m === null || m.digest !== digest) {
      throw new SlipwayError('corrupt', `the manifest of ${digest} is missing or damaged`, 'rebuild the artifact to write it again');
    }
    return m;
  }

  async readProvenance(ref: string): Promise<unknown> {
    const hex = hexOf(await this.resolve(ref));
    const text = await readFile(this.provenanceFile(hex), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SlipwayError('corrupt', `the provenance of sha256:${hex} is not valid JSON`, 'rebuild the artifact to sign it again');
    }
  }

  async verify(ref: string): Promise<StoreVerdict> {
    const r = await this.tryResolve(ref);
    if (!r.ok) return { ok: false, reason: 'missing', message: r.message };
    const { digest } = r;
    const hex = hexOf(digest);
    const actual = await sha256File(this.blob(hex)).catch(() => null);
    if (actual === null) return { ok: false, reason: 'missing', message: `artifact ${digest} is not in the store`, digest };
    if (actual !== hex) {
      return { ok: false, reason: 'corrupt', message: `artifact ${digest} is corrupt: its bytes now hash to sha256:${actual}`, digest };
    }
    const manifest = await this.readManifestFile(hex);
    if (manifest?.digest !== digest) {
      return { ok: false, reason: 'corrupt', message: `the manifest of ${digest} is missing or damaged`, digest };
    }
    let envelope: unknown;
    try {
      envelope = await this.readProvenance(digest);
    } catch (e) {
      return { ok: false, reason: 'bad-signature', message: (e as Error).message, digest };
    }
    if (envelope === null) return { ok: false, reason: 'no-provenance', message: `artifact ${digest} has no signed provenance`, digest };
    if (this.checkProvenance === undefined) {
      const parsed = parseEnvelope(envelope);
      return parsed.ok ? { ok: true, digest } : { ok: false, reason: 'bad-signature', message: parsed.message, digest };
    }
    const verdict = this.checkProvenance(envelope, digest);
    if (!verdict.ok) return { ok: false, reason: 'bad-signature', message: `provenance of ${digest}: ${verdict.message}`, digest };
    return verdict.keyid === undefined ? { ok: true, digest } : { ok: true, digest, keyid: verdict.keyid };
  }

  async sweepTemp(maxAgeMs: number): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    let removed = 0;
    const now = Date.now();
    for (const name of names) {
      if (!name.startsWith('.tmp-')) continue;
      const st = await lstat(join(this.dir, name)).catch(() => null);
      if (st !== null && now - st.mtimeMs > maxAgeMs) {
        await rm(join(this.dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  private async tryResolve(ref: string): Promise<{ ok: true; digest: Digest } | { ok: false; message: string }> {
    const parsed = parseDigestRef(ref);
    if (!parsed.ok) throw new SlipwayError('usage', parsed.message);
    if (parsed.kind === 'full') {
      const there = await exists(this.blob(parsed.hex));
      return there ? { ok: true, digest: digestOf(parsed.hex) } : { ok: false, message: `no artifact sha256:${parsed.hex}` };
    }
    const r = resolveDigestRef(parsed, await this.blobNames(), ref.trim());
    if (r.ok) return { ok: true, digest: digestOf(r.hex) };
    if (r.reason === 'ambiguous') throw new SlipwayError('usage', r.message);
    return { ok: false, message: r.message };
  }

  private async blobNames(): Promise<string[]> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    return names.filter((n) => HEX64.test(n));
  }

  private async blobIntact(hex: string): Promise<boolean> {
    const actual = await sha256File(this.blob(hex)).catch(() => null);
    return actual === hex;
  }

  private async readManifestFile(hex: string): Promise<ArtifactManifest | null> {
    const text = await readFile(this.manifestFile(hex), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = parseManifest(JSON.parse(text));
      return parsed.ok ? parsed.manifest : null;
    } catch {
      return null;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}
