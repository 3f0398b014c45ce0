// What a user-supplied git ref may look like before Slipway hands it to git: never something git
// could read as an option (`--output=…`, `--upload-pack=…`), never control characters.
import { SlipwayError } from './errors.js';

/** Longest ref expression accepted (git's own refs are far shorter). */
export const MAX_REF_LENGTH = 256;

/** Why `ref` cannot be given to git, or undefined when it can. */
export const refProblem = (ref: string): string | undefined => {
  if (ref.length === 0) return 'a ref cannot be empty';
  if (ref.startsWith('-')) return 'a ref cannot start with "-" (git would read it as an option)';
  if (ref.length > MAX_REF_LENGTH) return `a ref is at most ${MAX_REF_LENGTH} characters`;
  if (/[\x00-\x1f\x7f]/.test(ref)) return 'a ref cannot contain control characters';
  return undefined;
};

/** Returns `ref`, or throws a usage error naming it (shortened) and why. */
export const checkRef = (ref: string): string => {
  const problem = refProblem(ref);
  if (problem !== undefined) throw new SlipwayError('usage', `${JSON.stringify(ref.slice(0, 80))} is not a ref: ${problem}`, 'give a branch, a tag or a commit id, e.g. `--ref main`');
  return ref;
};
