// The environment-config ports: where the versions of each environment's non-secret config
// (`slipway config …`) and infrastructure settings (`slipway env set …`) are kept, and what the
// engine asks of config and secrets as a whole. Versions are immutable and numbered from 1 per
// environment; a release records the numbers it ran with.
import type { ConfigVersion } from '../core/secrets/config-versions.js';
import type { SettingsVersion, SettingValues } from '../core/settings/settings.js';
import type { SecretMeta, SecretVersions } from '../core/secrets/records.js';
import type { Release } from '../core/deployment/types.js';
import type { StoreWrite } from './secrets.js';

export interface EnvConfigStore {
  /** The newest config version of `env`, or undefined before the first change. */
  latestConfig(env: string): Promise<ConfigVersion | undefined>;
  getConfig(env: string, version: number): Promise<ConfigVersion | undefined>;
  /** Appends a version; `conflict` (nothing written) when that number is taken — the caller retries. */
  putConfig(env: string, version: ConfigVersion): Promise<StoreWrite>;
  /** Newest first. */
  configHistory(env: string, limit: number): Promise<ConfigVersion[]>;

  latestSettings(env: string): Promise<SettingsVersion | undefined>;
  getSettings(env: string, version: number): Promise<SettingsVersion | undefined>;
  putSettings(env: string, version: SettingsVersion): Promise<StoreWrite>;
  settingsHistory(env: string, limit: number): Promise<SettingsVersion[]>;
}

/** Masks secret values in text (src/secrets/mask.ts makes them). */
export interface Masker {
  /** Replaces every occurrence of every form with `****` (leftmost, longest first). */
  mask(text: string): string;
  /** A masker for text that arrives in chunks: concatenating its outputs equals `mask(all text)`. */
  stream(): MaskStream;
  /** Number of distinct forms being looked for. */
  readonly forms: number;
}

export interface MaskStream {
  /** Masks what can be decided now; holds back a tail that could still be the start of a secret. */
  push(chunk: string): string;
  /** Masks and returns whatever was held back. The stream can be reused after it. */
  end(): string;
}

/** What a new release of an environment records: version numbers, never values. */
export interface ConfigSnapshot {
  configVersion: number;
  secretVersions: SecretVersions;
  settingsVersion: number;
}

/** What `slipway secrets list` shows. */
export interface SecretListing {
  name: string;
  version: number;
  updatedAt: string;
  keyId: string;
}

export interface KeyRotation {
  /** Value records re-encrypted (every version, not only the latest). */
  rewritten: number;
  fromKeyIds: string[];
  toKeyId: string;
  /** Where the key in use came from. */
  source: 'env' | 'file';
  /** The new key's file (the key file replaced, or the `keyOut` file written). */
  keyFile: string | null;
  /** The previous key file, kept beside it, when the key came from a file. */
  retiredKeyFile: string | null;
}

/**
 * The control plane's config and secrets, as the engine uses them: config and settings versions,
 * the sealed secrets (the master key is loaded once, on demand, by the implementation), the
 * masker of every known secret value, and the values a release's processes or a pipeline step
 * receive. Values live only in memory. Implemented by adapters/envconfig over the stores.
 */
export interface EnvConfig {
  readonly store: EnvConfigStore;
  /** The masker of every secret value known to this control plane (all versions). */
  masker(): Masker;
  /** Rebuilds the masker from every sealed value; the reason when the key cannot be loaded (the masker keeps what it knew). */
  refreshMasker(): Promise<string | undefined>;
  /** Adds values to the masker at once (a secret just set or resolved). */
  remember(values: readonly string[]): void;
  /** What a release made now would record for `env`. */
  snapshot(env: string): Promise<ConfigSnapshot>;
  /** The settings overrides a release runs with (undefined for version 0). */
  settingsOf(release: Pick<Release, 'env' | 'settingsVersion'>): Promise<SettingValues | undefined>;
  /** The variables of a release's processes, and the secret values among them (for the masker). */
  inject(release: Release, yamlDefaults?: Record<string, string>): Promise<{ vars: Record<string, string>; secretValues: string[] }>;
  /** The current values of the pipeline secrets a step declares. */
  pipelineSecrets(names: readonly string[]): Promise<Record<string, string>>;
  /**
   * Seals a new version of `name` (creating the master key file on the very first secret, then
   * `createdKeyFile` names it: the user must back it up). The value is remembered by the masker.
   */
  setSecret(env: string, name: string, value: Buffer, opts?: { exact?: boolean }): Promise<{ meta: SecretMeta; createdKeyFile: string | null }>;
  /** The current value of one secret (remembered by the masker), or undefined when it is not set. */
  secretValue(env: string, name: string): Promise<string | undefined>;
  /** A tombstone version; releases that used earlier versions keep them. */
  removeSecret(env: string, name: string): Promise<{ name: string; version: number }>;
  /** Names, versions, dates and key ids — never values; needs no key. */
  listSecrets(env: string): Promise<SecretListing[]>;
  /**
   * Every version of every secret re-encrypted under a new key, all or nothing, and the new key
   * installed. A key from the environment needs `keyOut`: a new file outside the repository and
   * the home that receives the new key, for the user to install.
   */
  rotateKey(opts: { keyOut?: string }): Promise<KeyRotation>;
}
