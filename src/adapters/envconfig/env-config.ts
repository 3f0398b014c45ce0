// The control plane's config and secrets (the EnvConfig port): the master key (loaded once, on
// demand), the secrets service, the masker of every known secret value, what a new release
// records, and the values a release's processes (or a pipeline step) receive. Values live only
// in memory here; the key files are read and written here too (rotation, `--key-out`).
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { PIPELINE_ENV } from '../../core/secrets/names.js';
import { checkSecretValue } from '../../core/secrets/values.js';
import type { ConfigVersion } from '../../core/secrets/config-versions.js';
import type { SettingsVersion, SettingValues } from '../../core/settings/settings.js';
import type { Release } from '../../core/deployment/types.js';
import type { ConfigSnapshot, EnvConfig as EnvConfigPort, EnvConfigStore, KeyRotation, SecretListing } from '../../ports/env-config.js';
import type { SecretMeta } from '../../core/secrets/records.js';
import type { Clock } from '../../ports/clock.js';
import type { SecretsStore } from '../../ports/secrets.js';
import { createMasker, type Masker } from '../../secrets/mask.js';
import { formatMasterKey, loadMasterKey, MASTER_KEY_VAR, stageKeyRotation, type MasterKey } from '../../secrets/master-key.js';
import { createSecretsService, type SecretsService } from '../../secrets/service.js';
import { decryptSecret } from '../../secrets/crypto.js';


export interface EnvConfigOptions {
  store: EnvConfigStore;
  secrets: SecretsStore;
  home: string;
  repo: string;
  /** Where SLIPWAY_MASTER_KEY and the key file's location are read (the control plane's environment). */
  env: NodeJS.ProcessEnv;
  /** Notes for the server log (never values). */
  log?: (line: string) => void;
  clock?: Clock;
}

const EMPTY_MASKER = createMasker([]);

export class EnvConfig implements EnvConfigPort {
  readonly store: EnvConfigStore;
  readonly secretsStore: SecretsStore;
  private master: MasterKey | undefined;
  private service: SecretsService | undefined;
  private current: Masker = EMPTY_MASKER;
  private known = new Set<string>();

  constructor(private readonly opts: EnvConfigOptions) {
    this.store = opts.store;
    this.secretsStore = opts.secrets;
  }

  /** The masker of every secret value known to this control plane (all versions). */
  masker(): Masker {
    return this.current;
  }

  /** The master key in use, once loaded. */
  get masterKey(): MasterKey | undefined {
    return this.master;
  }

  /**
   * The secrets service with the master key. `create` makes the key file when no secret and no
   * key exist yet (the first `secrets set`); otherwise a missing or wrong key is a clear error.
   */
  async secretsService(opts: { create: boolean } = { create: false }): Promise<SecretsService> {
    if (this.service) return this.service;
    const existing = await this.secretsStore.keyIds();
    this.master = await loadMasterKey({ home: this.opts.home, env: this.opts.env, create: opts.create, existingKeyIds: existing, repo: this.opts.repo });
    if (this.master.created) this.opts.log?.(`created the master key file ${this.master.path ?? ''} (key id ${this.master.keyId}); back it up apart from the Slipway home`);
    this.service = createSecretsService({ store: this.secretsStore, masterKey: this.master.key });
    return this.service;
  }

  /**
   * Rebuilds the masker from every sealed value of every environment. Without the key (nothing
   * stored yet, or the key missing) the masker keeps what it knew and the reason is returned.
   */
  async refreshMasker(): Promise<string | undefined> {
    const records = (await this.secretsStore.all()).filter((r) => r.kind === 'value');
    if (records.length === 0) return undefined;
    try {
      await this.secretsService();
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    const key = this.master?.key;
    if (!key) return 'no master key';
    for (const r of records) {
      if (r.kind !== 'value') continue;
      const opened = decryptSecret(key, r);
      if (opened.ok) this.known.add(opened.value.toString('utf8'));
    }
    this.current = createMasker([...this.known]);
    return undefined;
  }

  /** Adds values to the masker at once (a secret just set or resolved). */
  remember(values: readonly string[]): void {
    const before = this.known.size;
    for (const v of values) this.known.add(v);
    if (this.known.size !== before) this.current = createMasker([...this.known]);
  }

  /** What a release made now would record for `env`: the latest config and settings versions and the live secrets' versions. */
  async snapshot(env: string): Promise<ConfigSnapshot> {
    const [config, settings, secrets] = await Promise.all([this.store.latestConfig(env), this.store.latestSettings(env), this.secretsStore.list(env)]);
    return {
      configVersion: config?.version ?? 0,
      settingsVersion: settings?.version ?? 0,
      secretVersions: Object.fromEntries(secrets.map((s) => [s.name, s.version])),
    };
  }

  /** The settings overrides a release runs with (undefined for version 0). */
  async settingsOf(release: Pick<Release, 'env' | 'settingsVersion'>): Promise<SettingValues | undefined> {
    const n = release.settingsVersion ?? 0;
    if (n === 0) return undefined;
    const v: SettingsVersion | undefined = await this.store.getSettings(release.env, n);
    if (!v) throw new SlipwayError('corrupt', `settings version ${n} of ${release.env} is missing from the store`, 'restore the store from a backup');
    return v.values;
  }

  /**
   * The variables of a release's processes: slipway.yaml's `environments.<env>.env` defaults,
   * then the config version it recorded, then exactly the secret versions it recorded (secrets
   * win over config of the same name). `secretValues` are what the instance logs mask.
   */
  async inject(release: Release, yamlDefaults: Record<string, string> = {}): Promise<{ vars: Record<string, string>; secretValues: string[] }> {
    let config: ConfigVersion | undefined;
    if (release.configVersion > 0) {
      config = await this.store.getConfig(release.env, release.configVersion);
      if (!config) throw new SlipwayError('corrupt', `config version ${release.configVersion} of ${release.env} is missing from the store`, 'restore the store from a backup');
    }
    const vars: Record<string, string> = { ...yamlDefaults, ...(config?.values ?? {}) };
    if (Object.keys(release.secretVersions).length === 0) return { vars, secretValues: [] };
    const resolved = await (await this.secretsService()).resolveVersions(release.env, release.secretVersions);
    const secretValues = Object.values(resolved.values);
    this.remember(secretValues);
    return { vars: { ...vars, ...resolved.values }, secretValues };
  }

  /** The current values of the pipeline secrets a step declares, from the `ci` environment. */
  async pipelineSecrets(names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const live = new Set((await this.secretsStore.list(PIPELINE_ENV)).map((m) => m.name));
    const missing = names.filter((n) => !live.has(n));
    if (missing.length > 0) {
      throw new SlipwayError(
        'not_found',
        `the step needs the secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set for pipelines`,
        `pipeline steps read their secrets from the "${PIPELINE_ENV}" environment: slipway secrets set ${PIPELINE_ENV} ${missing[0] ?? ''} (the value is read from stdin)`,
      );
    }
    const resolved = await (await this.secretsService()).resolve(PIPELINE_ENV, names);
    this.remember(Object.values(resolved.values));
    return resolved.values;
  }

  async setSecret(env: string, name: string, value: Buffer, opts: { exact?: boolean } = {}): Promise<{ meta: SecretMeta; createdKeyFile: string | null }> {
    const loadedBefore = this.master !== undefined;
    const service = await this.secretsService({ create: true });
    const meta = await service.set(env, name, value, opts);
    // The value as stored (one trailing newline trimmed unless `exact`), for the masker.
    const checked = checkSecretValue(value, opts);
    if (checked.ok) this.remember([checked.value.toString('utf8')]);
    const key = this.master;
    return { meta, createdKeyFile: !loadedBefore && key?.created ? (key.path ?? null) : null };
  }

  async secretValue(env: string, name: string): Promise<string | undefined> {
    if ((await this.secretsStore.latest(env, name))?.kind !== 'value') return undefined;
    const value = (await (await this.secretsService()).resolve(env, [name])).values[name];
    if (value !== undefined) this.remember([value]);
    return value;
  }

  removeSecret(env: string, name: string): Promise<{ name: string; version: number }> {
    return createSecretsService({ store: this.secretsStore, clock: this.opts.clock }).rm(env, name);
  }

  listSecrets(env: string): Promise<SecretListing[]> {
    return createSecretsService({ store: this.secretsStore }).list(env);
  }

  async rotateKey(opts: { keyOut?: string }): Promise<KeyRotation> {
    const service = await this.secretsService();
    const current = this.master;
    if (!current) throw new SlipwayError('config', 'no master key is loaded');
    if (current.source === 'env' && !opts.keyOut) {
      throw new SlipwayError('usage', `the master key comes from ${MASTER_KEY_VAR}, so Slipway cannot install a new one itself`, 'run `slipway secrets rotate-key --key-out FILE`, then set SLIPWAY_MASTER_KEY to the key in FILE and restart the control plane (`slipway server stop`)');
    }
    const staged = await stageKeyRotation(current, this.opts.home);
    if (current.source === 'env' && opts.keyOut) await this.writeKeyOut(opts.keyOut, staged.key);
    let result;
    try {
      result = await service.rotateKey(staged.key);
    } catch (e) {
      await staged.abandon();
      if (opts.keyOut && current.source === 'env') await unlink(resolve(opts.keyOut)).catch(() => undefined);
      throw e;
    }
    await staged.commit();
    this.master = { ...current, key: staged.key, keyId: staged.keyId, created: false };
    return {
      rewritten: result.rewritten,
      fromKeyIds: result.fromKeyIds,
      toKeyId: result.toKeyId,
      source: current.source,
      keyFile: current.source === 'file' ? (current.path ?? null) : resolve(opts.keyOut ?? ''),
      retiredKeyFile: current.source === 'file' && current.path ? `${current.path}.retired-${current.keyId}` : null,
    };
  }

  /** Writes a new key for a user whose key lives in SLIPWAY_MASTER_KEY: a new 0600 file, never over another. */
  private async writeKeyOut(path: string, key: Buffer): Promise<void> {
    const abs = resolve(path);
    if (inside(this.opts.repo, abs) || inside(this.opts.home, abs)) {
      throw new SlipwayError('refused', `--key-out ${abs} is inside the repository or the Slipway home`, 'write the new key outside both, e.g. under ~/.config/slipway/');
    }
    let fh;
    try {
      fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SlipwayError('usage', code === 'EEXIST' ? `--key-out ${abs} already exists; it is never overwritten` : `cannot create ${abs}: ${(e as Error).message}`, 'name a new file');
    }
    try {
      await fh.writeFile(`${formatMasterKey(key)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(resolve(dir), path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};
