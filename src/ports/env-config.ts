// The environment-config port: where the versions of each environment's non-secret config
// (`slipway config …`) and infrastructure settings (`slipway env set …`) are kept. Versions are
// immutable and numbered from 1 per environment; a release records the numbers it ran with.
import type { ConfigVersion } from '../core/secrets/config-versions.js';
import type { SettingsVersion } from '../core/settings/settings.js';
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
