// Slipway's programmatic API: the engine and the types a script or another tool needs.
export { SlipwayError, exitCodeOf, httpStatusOf, type ErrorCode } from './core/errors.js';
export type * from './config/types.js';
