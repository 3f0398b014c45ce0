// The home holds the database, the API token and the signing key: it is the control plane's
// alone (0700), whatever the umask or an earlier `mkdir` left.

import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { SlipwayError } from '../core/errors.js';

/**
 * Makes `home` (when missing) or corrects it to mode 0700. Returns what it corrected, or null.
 * Throws `SlipwayError('refused')` when another user owns it: only its owner can fix that.
 */
export function ensurePrivateHome(home: string): string | null {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const st = statSync(home);
  const me = process.getuid?.();
  if (me !== undefined && st.uid !== me) {
    throw new SlipwayError('refused', `the Slipway home ${home} belongs to uid ${st.uid}, not to this user (uid ${me})`, `run Slipway as its owner, or give it to this user: chown -R ${me} ${home} && chmod 700 ${home}`);
  }
  const mode = st.mode & 0o777;
  if (mode === 0o700) return null;
  chmodSync(home, 0o700);
  return `the home ${home} was mode ${mode.toString(8).padStart(4, '0')}: corrected to 0700 (group and others could reach the database and the token)`;
}
