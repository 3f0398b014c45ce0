// The secrets module's public surface: sealing, the master key, the service over the store
// port, masking, dotenv import, and the pure name, value and config-version rules.

export { decryptSecret, encryptSecret, keyIdOf, type OpenResult } from './crypto.js';
export {
  MASTER_KEY_FILE_VAR,
  MASTER_KEY_VAR,
  formatMasterKey,
  generateMasterKey,
  homeIdOf,
  keyFilePath,
  loadMasterKey,
  parseMasterKey,
  stageKeyRotation,
  type LoadMasterKeyOptions,
  type MasterKey,
  type StagedKey,
} from './master-key.js';
export {
  createSecretsService,
  type ResolvedSecrets,
  type RotationResult,
  type SecretListing,
  type SecretsService,
  type SecretsServiceOptions,
} from './service.js';
export { createMemorySecretsStore, type MemorySecretsStore } from './memory-store.js';
export { MASK, MIN_MASKED_LENGTH, createMasker, secretForms, type MaskStream, type Masker } from './mask.js';
export { formatDotenvError, parseDotenv, type DotenvEntry, type DotenvError, type DotenvResult } from './dotenv.js';
export { checkSecretName, MAX_SECRET_BYTES, SECRET_NAME_PATTERN } from '../core/secrets/names.js';
export { checkEnvName } from '../core/env-name.js';
export { checkSecretValue } from '../core/secrets/values.js';
export {
  applyConfigChanges,
  checkConfigKey,
  checkConfigValue,
  MAX_CONFIG_VALUE_BYTES,
  RESERVED_CONFIG_KEY,
  type ConfigApply,
  type ConfigChange,
  type ConfigIssue,
  type ConfigVersion,
} from '../core/secrets/config-versions.js';
export { SECRET_ALG, type SealedRecord, type SecretMeta, type SecretRecord, type SecretVersions } from '../core/secrets/records.js';
export type { SecretsStore, StoreWrite } from '../ports/secrets.js';
