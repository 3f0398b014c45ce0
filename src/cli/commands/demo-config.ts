// The demo's own slipway.yaml: the example app's, with each release watched for 2 s (measured every
// half second) and canary steps of 1 s, so that the story is told in about a minute and a half;
// and its synthetic probes ask `/`, the route the demo's slow release slows down (by default they
// ask the health path, which answers at once). The example keeps its own values for people who
// copy it; the demo says what it changed.
import { SlipwayError } from '../../core/errors.js';

/** Each edit: the exact text in the example's slipway.yaml, what replaces it, and how often it occurs. */
const EDITS: { from: string; to: string; count: number }[] = [
  { from: 'verify: { window: 5s }', to: 'verify: { window: 2s, interval: 500ms, probe: { path: / } }', count: 2 },
  { from: 'pause: 2s }', to: 'pause: 1s }', count: 1 },
];

/** What the demo changed, for its first chapter. */
export const DEMO_CONFIG_NOTE = 'the demo’s slipway.yaml watches each release for 2 s (every 500 ms), probing `/`, and pauses 1 s at each canary step; the example’s says 5 s and 2 s, the defaults 30 s and 10 s';

/**
 * The example's slipway.yaml with the demo's shorter windows. Throws when the example no longer
 * has the text an edit expects: a demo that silently ran with other timings would tell a story
 * the reader cannot check.
 */
export const demoSlipwayYaml = (example: string): string => {
  let text = example;
  for (const e of EDITS) {
    const found = text.split(e.from).length - 1;
    if (found !== e.count) throw new SlipwayError('config', `the example’s slipway.yaml has ${found} × "${e.from}" where the demo expects ${e.count}; update src/cli/commands/demo-config.ts with it`);
    text = text.split(e.from).join(e.to);
  }
  return text;
};
