// `slipway reject dN`: see cli/decide.ts.
import type { CliContext } from '../context.js';
import { decideSpec, runDecision } from '../decide.js';

export const spec = decideSpec('reject');

export const run = (ctx: CliContext, argv: string[]): Promise<number> => runDecision('reject', ctx, argv);
