// The secret scan gate: rules, allowlist, and scanners for a tree, an archive, or files as data.

export { RULES, type SecretRule } from './rules.js';
export { shannonEntropy } from './entropy.js';
export { looksLikeGeneratedSecret } from './generic.js';
export { maskSecret } from './mask.js';
export { scanText, fingerprintOf, type SecretFinding } from './scan-text.js';
export {
  parseAllowlist,
  applyAllowlist,
  EMPTY_ALLOWLIST,
  type Allowlist,
  type AllowlistEntry,
  type AllowedFinding,
  type AllowlistOutcome,
  type ParseAllowlistResult,
} from './allowlist.js';
export { globToRegExp } from './glob.js';
export {
  scanFiles,
  looksBinary,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_SKIP_DIRS,
  type FileToScan,
  type ScanOptions,
  type ScanReport,
} from './scan-files.js';
export { scanTree } from './scan-tree.js';
export { scanArchive } from './scan-archive.js';
export { readTarEntries, TarFormatError, type TarEntry } from './tar-reader.js';
export { loadAllowlist } from './load-allowlist.js';
