// The shim masks app output with the same masker as the rest of Slipway (src/secrets/mask.ts):
// each value, each line of a multi-line value, its base64 (any alignment), JSON- and URL-escaped
// forms, also when split across output chunks. Re-exported here so that the shim's own modules
// import one place; the shim gets the values only through its environment.
export { MASK, createMasker, secretForms as formsOf, type MaskStream, type Masker } from '../secrets/mask.js';
