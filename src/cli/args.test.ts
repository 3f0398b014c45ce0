// Given each bad form of a command line, then the parser refuses it with Slipway's own message:
// what is wrong, the option named as it was typed, and the command's usage (never node's text).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SlipwayError } from '../core/errors.js';
import { intOpt, parseCommand, type CommandSpec } from './args.js';

const spec: CommandSpec = {
  name: 'try',
  usage: 'slipway try [--ref REF] [--detach] [-n N] [-f]',
  options: {
    ref: { type: 'string', description: 'a ref' },
    detach: { type: 'boolean', description: 'detach' },
    n: { type: 'string', short: 'n', description: 'how many', default: '10' },
    follow: { type: 'boolean', short: 'f', description: 'follow' },
    quiet: { type: 'boolean', description: 'quiet', default: false },
  },
};

const refused = (argv: string[]): SlipwayError => {
  try {
    parseCommand(spec, argv);
  } catch (e) {
    assert.ok(e instanceof SlipwayError, String(e));
    assert.equal(e.code, 'usage');
    // Node's own wording must not leak through, nor a prefix that the CLI adds once itself.
    assert.doesNotMatch(e.message, /To specify a positional|ERR_PARSE_ARGS|^slipway /);
    assert.match(e.hint ?? '', /usage: slipway try \[--ref REF\]/);
    return e;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
};

describe('parseCommand', () => {
  test('given good forms, then values, positionals and defaults come out', () => {
    const p = parseCommand(spec, ['a', '--ref', 'main', '-fn', '3', '--detach', '--', '--not-an-option']);
    assert.deepEqual(p.values, { ref: 'main', n: '3', follow: true, detach: true, quiet: false });
    assert.deepEqual(p.positionals, ['a', '--not-an-option']);
    assert.deepEqual(parseCommand(spec, ['--ref=-odd', '-n5']).values, { ref: '-odd', n: '5', quiet: false });
  });

  test('given an unknown long option, then it is named, with the closest option and the usage', () => {
    const e = refused(['--detahc']);
    assert.equal(e.message, 'unknown option --detahc');
    assert.match(e.hint ?? '', /^did you mean --detach\? usage:/);
    assert.match(e.hint ?? '', /`slipway try --help`/);
  });

  test('given an unknown option far from any, then no guess is offered', () => {
    const e = refused(['--zzzzzzzzzz']);
    assert.equal(e.message, 'unknown option --zzzzzzzzzz');
    assert.match(e.hint ?? '', /^usage:/);
  });

  test('given an unknown short option, alone or in a group, then that letter is named', () => {
    assert.equal(refused(['-x']).message, 'unknown option -x');
    assert.equal(refused(['-fx']).message, 'unknown option -x');
  });

  test('given a value option at the end, then it needs a value', () => {
    assert.equal(refused(['--ref']).message, '--ref needs a value');
    assert.equal(refused(['-n']).message, '-n needs a value');
  });

  test('given a value option followed by an option, then the forgotten value is named', () => {
    const e = refused(['--ref', '--detach']);
    assert.equal(e.message, '--ref needs a value, and "--detach" looks like an option');
    assert.match(e.hint ?? '', /did you mean --ref=--detach if that is the value\?/);
    assert.equal(refused(['-n', '-f']).message, '-n needs a value, and "-f" looks like an option');
  });

  test("given an option named like a JavaScript object key, then it is unknown (not Object.prototype's)", () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal(refused([`--${name}`]).message, `unknown option --${name}`);
  });

  test('given a value on a switch, then the switch takes none', () => {
    assert.equal(refused(['--detach=yes']).message, '--detach takes no value (got "yes")');
  });
});

describe('intOpt', () => {
  test('given -n abc, then the message names -n as typed', () => {
    const args = parseCommand(spec, ['-n', 'abc']);
    assert.throws(() => intOpt(args, 'n', 10), (e: unknown) => e instanceof SlipwayError && e.code === 'usage' && e.message === '-n must be a whole number from 1 to 10000, not "abc"');
  });

  test('given --n with a bad value or an empty one, then the long spelling is named', () => {
    for (const bad of ['0', '1.5', '', ' ', '10001', '1e3x']) {
      const args = parseCommand(spec, [`--n=${bad}`]);
      assert.throws(() => intOpt(args, 'n', 10), (e: unknown) => e instanceof SlipwayError && e.message.startsWith('--n must be a whole number'), bad);
    }
  });

  test('given no value, then the default; given a good one, then that number', () => {
    assert.equal(intOpt(parseCommand(spec, []), 'n', 7), 7);
    assert.equal(intOpt(parseCommand(spec, ['-n', '42']), 'n', 7), 42);
  });
});
