// Masking at the sources: every text the engine stores (log lines, reasons, event data) or
// publishes to live followers passes the masker of all known secret values first, so that no
// API answer, CLI output or page built from them can carry a value.
import type { Masker } from '../../ports/env-config.js';
import type { Store } from '../../ports/store.js';
import { Bus, type EngineNotice } from '../bus.js';

/** Masks every string inside a JSON-like value (keys included); other values are kept. */
export const maskDeep = <T>(value: T, masker: Masker): T => {
  if (masker.forms === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return masker.mask(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [masker.mask(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
};

/** Store methods whose arguments carry free text, and which argument. */
const MASKED_ARGS: Partial<Record<keyof Store, number>> = {
  appendLog: 0,
  appendEvent: 0,
  updateRun: 1,
  updateStep: 2,
  updateDeployment: 1,
  markBadDigest: 2,
  createDeployment: 0,
};

/**
 * A store that masks the text it is given before writing it: log lines, run, step and
 * deployment reasons, event data. Reads are untouched (what is stored is already masked).
 */
export const maskingStore = <S extends Store>(store: S, masker: () => Masker): S =>
  new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const at = MASKED_ARGS[prop as keyof Store];
      const fn = value as (...args: unknown[]) => unknown;
      if (at === undefined) return fn.bind(target);
      return (...args: unknown[]) => {
        const m = masker();
        if (m.forms > 0) args[at] = maskDeep(args[at], m);
        return fn.apply(target, args);
      };
    },
  });

/** A bus whose notices (step reasons, log lines, events) are masked before anyone sees them. */
export class MaskingBus extends Bus {
  constructor(private readonly masker: () => Masker) {
    super();
  }

  override publish(n: EngineNotice): void {
    super.publish(maskDeep(n, this.masker()));
  }
}
