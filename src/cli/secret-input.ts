// Reading a secret value for `slipway secrets set`: all of stdin when it is a pipe or a file, or
// a prompt without echo when it is a terminal. The value is never an argument and never printed.
import { SlipwayError } from '../core/errors.js';
import { MAX_SECRET_BYTES } from '../core/secrets/names.js';
import type { CliContext } from './context.js';

/** Reads stdin to its end; more than a value can hold (plus a newline) is refused early. */
const readPipe = async (stdin: NodeJS.ReadableStream): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    size += b.length;
    if (size > MAX_SECRET_BYTES + 2) throw new SlipwayError('usage', `the secret value on stdin is larger than ${MAX_SECRET_BYTES} bytes; nothing was stored`, 'store a path or a key as the secret, not a file');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
};

/** Prompts on the terminal with echo off; Enter ends the value, Ctrl-C cancels. */
const readTerminal = (ctx: CliContext, label: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const stdin = process.stdin;
    const bytes: number[] = [];
    ctx.err(`${label} (input hidden, Enter to finish): `);
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      ctx.err('\n');
      const value = Buffer.from(bytes);
      bytes.fill(0);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const b of chunk) {
        if (b === 0x03) return done(new SlipwayError('canceled', 'canceled; nothing was stored'));
        if (b === 0x0d || b === 0x0a || b === 0x04) return done();
        if (b === 0x7f || b === 0x08) bytes.pop();
        else bytes.push(b);
      }
    };
    stdin.on('data', onData);
  });

/** The raw bytes of a secret value (trailing-newline handling is the caller's, with --exact). */
export const readSecretInput = (ctx: CliContext, label: string): Promise<Buffer> =>
  process.stdin.isTTY ? readTerminal(ctx, label) : readPipe(process.stdin);
