// The package's entry point: Slipway's error type with its exit-code and HTTP-status mapping, and
// the normalised config types. The engine is not exported: scripts drive Slipway through the CLI
// or the control plane's HTTP API.
export { SlipwayError, exitCodeOf, httpStatusOf, type ErrorCode } from './core/errors.js';
export type * from './core/config/types.js';
