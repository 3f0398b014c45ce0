// Slipway's deterministic archives: pack a tree into a reproducible tar, list one, unpack one safely.

export { packDeterministic, type PackOptions, type PackResult } from './pack.js';
export { listArchive, type ListOptions } from './list.js';
export { unpackSafe, type UnpackOptions, type UnpackResult } from './unpack.js';
/** Low-level: every raw entry with a reader for its data (e.g. to scan an artifact's files for secrets). */
export { walkArchive, type RawEntry } from './read.js';
