// Reads what a finished bench step handed over: the file named by $SLIPWAY_BENCH_OUTPUT when it
// wrote one, else its stdout (see docs/gates.md).

import { readFile } from 'node:fs/promises';
import { parseBenchOutput, selectBenchText, type ParseBenchResult } from './format.js';

/**
 * Parses a bench step's result. `outputFile` is the path Slipway put in $SLIPWAY_BENCH_OUTPUT;
 * a missing or empty file means the step used stdout instead.
 */
export async function collectBenchOutput(stdout: string, outputFile?: string): Promise<ParseBenchResult> {
  let fileText: string | undefined;
  if (outputFile !== undefined) {
    try {
      fileText = await readFile(outputFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        return { ok: false, message: `bench output: cannot read ${outputFile}: ${(e as Error).message}` };
      }
    }
  }
  return parseBenchOutput(selectBenchText({ fileText, stdout }));
}
