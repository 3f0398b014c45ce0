// The built-in gates as libraries for the engine: each is a namespace with a pure core (parse,
// compare, match, scan text) and the adapters that read trees, archives and databases.

export * as benchGate from './bench/index.js';
export * as secretScan from './secrets/index.js';
export * as dependencyAudit from './audit/index.js';
