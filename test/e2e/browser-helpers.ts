// What the dashboard's browser tests share: Debian's chromium started through playwright-core (a
// machine without it fails the test, naming why: it is never skipped), the folder the screenshots
// go to (docs/dashboard.md), and the page globals the tests read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './harness.js';

export const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';
/** Kept by CI and printed by .ci/run; not committed (.gitignore). */
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/** Starts chromium headless, or throws an error that says how to get it. */
export const launchChromium = async (): Promise<Browser> => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], timeout: 60_000 });
  } catch (e) {
    throw new Error(`chromium did not start from ${CHROMIUM} (install Debian's chromium package, as .ci/run does, or set SLIPWAY_CHROMIUM): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
};

/** What the tests touch of a page's globals (the tests are compiled without the DOM's types). */
export interface InPage {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    activeElement: { textContent: string | null; id: string; blur(): void } | null;
  };
  location: { hash: string };
  sessionStorage: { length: number };
  slipwayMark?: number;
}
