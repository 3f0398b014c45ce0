// The normalised config types live in the core (src/core/config/types.ts), so that the core never
// imports this folder; they are re-exported here for the loader and its callers.
export type * from '../core/config/types.js';
