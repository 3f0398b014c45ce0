// Slipway's deterministic archives: pack a tree into a reproducible tar, list one, unpack one safely.

export { packDeterministic, type PackOptions, type PackResult } from './pack.js';
export { listArchive, type ListOptions } from './list.js';
export { unpackSafe, type UnpackOptions, type UnpackResult } from './unpack.js';
