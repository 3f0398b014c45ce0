// The public surface of src/config: load and check slipway.yaml, render one for `slipway init`,
// and the JSON Schema for editors. Everything else in this folder is internal.

export type * from './types.js';
export {
  loadConfig,
  formatConfigIssue,
  type ConfigIssue,
  type LoadResult,
  type LoadOptions,
} from './load.js';
export { renderInitConfig, planInitConfig, sanitiseAppName, type PackageJson, type InitOptions, type InitPlan } from './init.js';
export { configJsonSchema, type JsonSchemaOptions } from './json-schema.js';
export { DEFAULTS } from './defaults.js';
export { parseDuration, parsePercent, parseCheckExpression, METRICS, type Parsed } from './values.js';
export { EXAMPLE_CONFIG } from './example.js';
