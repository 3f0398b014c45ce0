// `slipway approve dN`: see cli/decide.ts.
import type { CliContext } from '../context.js';
import { decideSpec, runDecision } from '../decide.js';

export const spec = decideSpec('approve');

export const run = (ctx: CliContext, argv: string[]): Promise<number> => runDecision('approve', ctx, argv);
