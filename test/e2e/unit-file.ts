// A strict reader of the systemd unit `slipway server install` writes, for the e2e test: every
// line a comment, a section or a key this unit may carry with a value of the form systemd takes;
// ExecStart read back into its words the way systemd splits them (quotes, backslash escapes, `%%`
// and `$$`), its program absolute and executable. Stricter than systemd where systemd only warns
// (an unknown key, a bad value: `systemd-analyze verify` exits 0 on those), and run on every
// machine, with or without systemd.
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';

export interface ParsedUnit {
  sections: Map<string, Map<string, string[]>>;
  /** ExecStart as the words systemd passes to the program. */
  argv: string[];
}

const BOOL = /^(yes|no|true|false)$/;
const UNIT_NAME = /^[A-Za-z0-9_.@-]+\.(target|service)$/;
const NAMES = (v: string): boolean => v.split(/\s+/).every((n) => UNIT_NAME.test(n));

/** Each key this unit may carry, and whether a value is of a form systemd takes. */
const KEYS: Record<string, Record<string, (v: string) => boolean>> = {
  Unit: { Description: (v) => v.length > 0, After: NAMES, Wants: NAMES },
  Service: {
    Type: (v) => /^(simple|exec|forking|oneshot|notify)$/.test(v),
    User: (v) => /^[a-z_][a-z0-9_-]{0,31}$/.test(v),
    ExecStart: (v) => v.length > 0,
    Environment: (v) => v.length > 0,
    Restart: (v) => /^(no|on-success|on-failure|on-abnormal|on-watchdog|on-abort|always)$/.test(v),
    RestartSec: (v) => /^\d+(ms|s|min)?$/.test(v),
    KillMode: (v) => /^(control-group|mixed|process)$/.test(v),
    LimitNOFILE: (v) => /^\d+$/.test(v),
    AmbientCapabilities: (v) => /^CAP_[A-Z_]+( CAP_[A-Z_]+)*$/.test(v),
    NoNewPrivileges: (v) => BOOL.test(v),
    ProtectSystem: (v) => /^(yes|no|full|strict)$/.test(v),
    ProtectKernelModules: (v) => BOOL.test(v),
    ProtectControlGroups: (v) => BOOL.test(v),
    RestrictSUIDSGID: (v) => BOOL.test(v),
    RestrictRealtime: (v) => BOOL.test(v),
    LockPersonality: (v) => BOOL.test(v),
    SystemCallArchitectures: (v) => v === 'native',
  },
  Install: { WantedBy: NAMES },
};
const REPEATABLE = new Set(['After', 'Wants', 'Environment', 'WantedBy']);
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', s: ' ' };

/** A command line split as systemd splits ExecStart, then `%%` and `$$` read as `%` and `$`. */
export const splitExec = (line: string): string[] => {
  const words: string[] = [];
  let i = 0;
  const unescape = (w: string): string => {
    // A lone % is a specifier and a lone $ a variable: this unit means neither.
    if (/%(?!%)/.test(w.replace(/%%/g, ''))) throw new Error(`a specifier (%) in ${JSON.stringify(w)}`);
    if (/\$(?!\$)/.test(w.replace(/\$\$/g, ''))) throw new Error(`a variable ($) in ${JSON.stringify(w)}`);
    return w.replace(/%%/g, '%').replace(/\$\$/g, '$');
  };
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let w = '';
    const quote = line[i] === '"' || line[i] === "'" ? line[i] : undefined;
    if (quote !== undefined) i++;
    for (;;) {
      if (i >= line.length) {
        if (quote !== undefined) throw new Error(`unbalanced quoting in ${JSON.stringify(line)}`);
        break;
      }
      const c = line[i] ?? '';
      if (quote === undefined && (c === ' ' || c === '\t')) break;
      if (quote !== undefined && c === quote) {
        i++;
        if (i < line.length && line[i] !== ' ' && line[i] !== '\t') throw new Error(`a quoted word runs into the next in ${JSON.stringify(line)}`);
        break;
      }
      if (c === '\\') {
        const e = ESCAPES[line[i + 1] ?? ''];
        if (e === undefined) throw new Error(`an escape systemd would read otherwise in ${JSON.stringify(line)}`);
        w += e;
        i += 2;
        continue;
      }
      w += c;
      i++;
    }
    words.push(unescape(w));
  }
  return words;
};

/** Reads the unit strictly; throws naming the first line that is not what it should be. */
export const parseUnit = (text: string): ParsedUnit => {
  if (!text.endsWith('\n')) throw new Error('the unit does not end with a line break');
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  let name = '';
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, n) => {
      const at = `line ${n + 1} (${JSON.stringify(line.slice(0, 80))})`;
      if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
      if (line.endsWith('\\')) throw new Error(`${at}: a continued line`);
      const s = /^\[([A-Za-z]+)\]$/.exec(line);
      if (s) {
        name = s[1] ?? '';
        if (!(name in KEYS)) throw new Error(`${at}: unknown section`);
        if (sections.has(name)) throw new Error(`${at}: a second [${name}]`);
        current = new Map();
        sections.set(name, current);
        return;
      }
      const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (!kv || current === undefined) throw new Error(`${at}: neither a comment, a section nor Key=value in a section`);
      const [, key = '', value = ''] = kv;
      const check = KEYS[name]?.[key];
      if (check === undefined) throw new Error(`${at}: ${key}= is not a key of [${name}] here`);
      if (value !== value.trim() || !check(value)) throw new Error(`${at}: not a value systemd takes for ${key}=`);
      const values = current.get(key) ?? [];
      if (values.length > 0 && !REPEATABLE.has(key)) throw new Error(`${at}: ${key}= given twice`);
      current.set(key, [...values, value]);
    });
  if ([...sections.keys()].join(',') !== 'Unit,Service,Install') throw new Error(`the sections are [${[...sections.keys()].join('], [')}], not [Unit], [Service], [Install]`);
  const exec = sections.get('Service')?.get('ExecStart')?.[0];
  if (exec === undefined) throw new Error('no ExecStart=');
  for (const e of sections.get('Service')?.get('Environment') ?? []) splitExec(e.replace(/\$/g, '$$$$'));
  const argv = splitExec(exec);
  const program = argv[0] ?? '';
  if (!isAbsolute(program)) throw new Error(`ExecStart's program ${program} is not an absolute path`);
  accessSync(program, constants.X_OK);
  return { sections, argv };
};
