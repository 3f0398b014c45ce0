// Reading a backup's passphrase: from stdin when it is a pipe, or a prompt without echo on a
// terminal (as secret values are read). One trailing newline is dropped; the passphrase is never
// an argument and never printed.
import type { CliContext } from './context.js';
import { readSecretInput } from './secret-input.js';

export const readPassphrase = async (ctx: CliContext, label: string): Promise<Buffer> => {
  const raw = await readSecretInput(ctx, label);
  const end = raw.length - (raw.subarray(-2).toString() === '\r\n' ? 2 : raw.subarray(-1).toString() === '\n' ? 1 : 0);
  const out = Buffer.from(raw.subarray(0, end));
  raw.fill(0);
  return out;
};
