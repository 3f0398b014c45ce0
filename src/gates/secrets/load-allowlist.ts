// Reads the allowlist file named by the secret-scan gate's `allowlist` option.

import { readFile } from 'node:fs/promises';
import { parseAllowlist, type ParseAllowlistResult } from './allowlist.js';

/** Reads and parses an allowlist file; a file that cannot be read is an error naming it. */
export async function loadAllowlist(file: string, displayName: string = file): Promise<ParseAllowlistResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      errors: [code === 'ENOENT' ? `${displayName}: allowlist file not found (remove the gate's "allowlist" option or create the file)` : `${displayName}: ${(e as Error).message}`],
    };
  }
  return parseAllowlist(text, displayName);
}
