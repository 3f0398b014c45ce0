// Terminal escapes out of program output that Slipway shows again (failure reports, summaries):
// colours and cursor moves read as noise in a log, a JSON answer or a notification.

// CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) ended by BEL or ST,
// and the two-byte escapes; then the other C0 controls except tab (a lone \r redraws a line).
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * The text without terminal escapes and control characters (tab and newline stay).
 *
 * @example
 * stripAnsi('\x1b[32mlistening\x1b[0m on 3000') // 'listening on 3000'
 */
export const stripAnsi = (text: string): string => text.replace(ESCAPES, '');
