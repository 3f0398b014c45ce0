// The control plane's view of config and secrets: the master key (loaded once, on demand), the
// secrets service, the masker of every known secret value, what a new release records, and the
// values a release's processes (or a pipeline step) receive. Values live only in memory here.
import { SlipwayError } from '../../core/errors.js';
import { PIPELINE_ENV } from '../../core/secrets/names.js';
import type { ConfigVersion } from '../../core/secrets/config-versions.js';
import type { SecretVersions } from '../../core/secrets/records.js';
import type { SettingsVersion, SettingValues } from '../../core/settings/settings.js';
import type { Release } from '../../core/deployment/types.js';
import type { EnvConfigStore } from '../../ports/env-config.js';
import type { SecretsStore } from '../../ports/secrets.js';
import { createMasker, type Masker } from '../../secrets/mask.js';
import { loadMasterKey, type MasterKey } from '../../secrets/master-key.js';
import { createSecretsService, type SecretsService } from '../../secrets/service.js';
import { decryptSecret } from '../../secrets/crypto.js';

export { PIPELINE_ENV };

/** What a new release of an environment records: version numbers, never values. */
export interface ConfigSnapshot {
  configVersion: number;
  secretVersions: SecretVersions;
  settingsVersion: number;
}

export interface EnvConfigOptions {
  store: EnvConfigStore;
  secrets: SecretsStore;
  home: string;
  repo: string;
  /** Where SLIPWAY_MASTER_KEY and the key file's location are read (the control plane's environment). */
  env: NodeJS.ProcessEnv;
  /** Notes for the server log (never values). */
  log?: (line: string) => void;
}

const EMPTY_MASKER = createMasker([]);

export class EnvConfig {
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

  /** Records the key after a rotation (the service already switched to it). */
  rotated(next: MasterKey): void {
    this.master = next;
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

  /** Whether a release already runs with `snap` (a config redeploy would change nothing). */
  static sameSnapshot(release: Pick<Release, 'configVersion' | 'secretVersions' | 'settingsVersion'>, snap: ConfigSnapshot): boolean {
    const a = Object.entries(release.secretVersions).sort(([x], [y]) => x.localeCompare(y));
    const b = Object.entries(snap.secretVersions).sort(([x], [y]) => x.localeCompare(y));
    return release.configVersion === snap.configVersion && (release.settingsVersion ?? 0) === snap.settingsVersion && JSON.stringify(a) === JSON.stringify(b);
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
}
