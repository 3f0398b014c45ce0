// Slipway's version, recorded in provenance and shown by `slipway --version`.
export const VERSION = '0.1.0';
