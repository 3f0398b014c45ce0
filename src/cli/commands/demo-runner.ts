// How the demo runs the real `slipway` binary: a command either shows its output live, or starts
// early and holds its output until its chapter, so that work that mostly waits (a verification
// window, a canary pause) and work that computes (a pipeline run) overlap without mixing their
// output.
import { spawn } from 'node:child_process';

export interface CliResult {
  code: number;
  /** Everything the command wrote to stdout. */
  out: string;
}

export interface Started {
  /** Prints `$ <shown>`, what the command wrote so far (each stream to its own), then the rest live. */
  show: (shown?: string) => Promise<CliResult>;
  /** The command's end, without showing it. */
  done: Promise<CliResult>;
  /** Resolves at the command's first line of stdout (e.g. the id of the deployment it started). */
  firstOutput: Promise<void>;
}

export interface DemoRunner {
  start: (args: string[], input?: string) => Started;
  /** Runs a command; with `show`, echoes it and its output live. */
  slipway: (args: string[], show?: boolean) => Promise<CliResult>;
}

export const demoRunner = (o: { bin: string; cwd: string; env: NodeJS.ProcessEnv; out: (s: string) => void; err: (s: string) => void }): DemoRunner => {
  const start = (args: string[], input?: string): Started => {
    const held: { err: boolean; text: string }[] = [];
    let live = false;
    let out = '';
    const emit = (err: boolean, text: string): void => {
      if (live) (err ? o.err : o.out)(text);
      else held.push({ err, text });
    };
    const child = spawn(process.execPath, [o.bin, ...args], { cwd: o.cwd, env: o.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let first: () => void = () => undefined;
    const firstOutput = new Promise<void>((resolve) => (first = resolve));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      first();
      emit(false, c.toString());
    });
    child.stderr?.on('data', (c: Buffer) => emit(true, c.toString()));
    if (input !== undefined) child.stdin?.end(input);
    const done = new Promise<CliResult>((resolve) =>
      child.on('close', (code) => {
        first();
        resolve({ code: code ?? 1, out });
      }),
    );
    return {
      show: (shown = `slipway ${args.join(' ')}`) => {
        o.out(`\n$ ${shown}\n`);
        for (const h of held.splice(0)) (h.err ? o.err : o.out)(h.text);
        live = true;
        return done;
      },
      done,
      firstOutput,
    };
  };
  return {
    start,
    slipway: (args, show = true) => {
      const p = start(args);
      return show ? p.show() : p.done;
    },
  };
};
