// The shim masks app output with the same masker as the rest of Slipway (src/secrets/mask.ts, one
// implementation): every form of src/secrets/mask-forms.ts, also when split across output chunks
// or wrapped across lines. Re-exported here so that the shim's own modules import one place; the
// shim gets the values only through its environment.
export { MASK, createMasker, secretForms as formsOf, type MaskStream, type Masker } from '../secrets/mask.js';
