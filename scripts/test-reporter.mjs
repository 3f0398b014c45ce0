// A node:test reporter for scripts/test.mjs, beside the human one (spec): it writes one JSON line
// per skipped or todo test (file, name, reason) and per top-level test's duration, so that the
// runner can print every skip with its reason, fail on a skip that test/skips.txt does not allow,
// and name the slowest files.
export default async function* skipsAndDurations(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    const file = d.file ?? '';
    if (d.skip !== undefined || d.todo !== undefined) {
      const kind = d.skip !== undefined ? 'skip' : 'todo';
      const why = kind === 'skip' ? d.skip : d.todo;
      yield `${JSON.stringify({ kind, file, name: d.name, reason: typeof why === 'string' ? why : '' })}\n`;
    }
    // Top-level tests and suites (a file's own entry when the file itself fails or times out):
    // their durations add up to the file's time.
    if (d.nesting === 0) yield `${JSON.stringify({ kind: 'duration', file: file || d.name, name: d.name, ms: d.details?.duration_ms ?? 0 })}\n`;
  }
}
