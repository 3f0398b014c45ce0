// One `git cat-file --batch` process asked several questions in turn: a run resolves its ref and
// reads the slipway.yaml of that exact commit through one git process instead of two (each git
// process is a fork and exec on the path from trigger to first step). The commit object is parsed
// here into what `git show -s --format=%H%x00%ct%x00%an%x00%s` prints.
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { CommitInfo } from '../../../ports/vcs.js';
import { spawnGit } from './run.js';

/** One answer of `cat-file --batch`: the object's type and size, and its content when it was read. */
export type BatchAnswer = { oid: string; type: string; size: number; content?: Buffer } | undefined;

/** The largest commit object read (a commit is a few hundred bytes; a larger one is not parsed here). */
const MAX_COMMIT_BYTES = 1024 * 1024;

/**
 * A `git cat-file --batch` in `repo`. `ask` sends one object name and resolves with its answer:
 * undefined when the object is missing; the content only when it is at most `maxBytes` (a larger
 * object ends the process, never read into memory). Call `close` when done.
 */
export class CatFileBatch {
  private readonly child: ChildProcess;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { maxBytes: number; resolve: (a: BatchAnswer) => void } | undefined;
  private header: { oid: string; type: string; size: number } | undefined;
  private ended = false;
  /** Started ahead of its first question (see takeSpare). */
  spare = false;

  constructor(readonly repo: string) {
    this.child = spawnGit(['cat-file', '--batch'], { cwd: repo, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout?.on('data', (c: Buffer) => {
      this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
      this.drain();
    });
    const end = (): void => {
      this.ended = true;
      this.settle(undefined);
    };
    this.child.on('error', end);
    this.child.on('close', end);
    this.child.stdin?.on('error', () => undefined);
  }

  /** The answer for one object name (no newline in it: the caller checks). */
  ask(name: string, maxBytes: number): Promise<BatchAnswer> {
    if (this.pending) throw new Error('one question at a time');
    if (this.ended || /[\n\r]/.test(name)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.pending = { maxBytes, resolve };
      this.child.stdin?.write(`${name}\n`);
    });
  }

  close(): void {
    this.child.stdin?.end();
    if (!this.ended) this.child.kill('SIGKILL');
  }

  /** Whether it can still answer. */
  get alive(): boolean {
    return !this.ended;
  }

  /** While waiting as a spare, the process and its pipes do not keep this process running. */
  hold(held: boolean): void {
    for (const h of [this.child, this.child.stdin, this.child.stdout] as (ChildProcess | Readable | Writable | null)[]) {
      const handle = h as { ref?: () => void; unref?: () => void } | null;
      if (held) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private settle(a: BatchAnswer): void {
    const p = this.pending;
    this.pending = undefined;
    this.header = undefined;
    p?.resolve(a);
  }

  private drain(): void {
    if (!this.pending) return;
    if (this.header === undefined) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      // `<oid> <type> <size>`, or `<name> missing` / `<name> ambiguous`.
      const m = /^([0-9a-f]+) ([a-z]+) (\d+)$/.exec(line);
      if (m === null) return this.settle(undefined);
      const oid = m[1] ?? '';
      const type = m[2] ?? '';
      const size = Number(m[3]);
      if (size > this.pending.maxBytes) {
        this.settle({ oid, type, size });
        // What is left of this answer is never read: the process ends here.
        this.ended = true;
        this.child.kill('SIGKILL');
        return;
      }
      this.header = { oid, type, size };
    }
    const { oid, type, size } = this.header;
    // The content, then one newline.
    if (this.buf.length < size + 1) return;
    const content = Buffer.from(this.buf.subarray(0, size));
    this.buf = this.buf.subarray(size + 1);
    this.settle({ oid, type, size, content });
  }
}

/**
 * Resolves `ref` to a commit and reads `path` of that exact commit in one git process. Undefined
 * when the ref names no commit; `file` undefined when the commit has no such file (or it is not a
 * file); a file larger than `maxBytes` comes with its size only. A commit whose message is not in
 * UTF-8 (an `encoding` header) is described by `fallback` from its sha (git show reencodes it).
 */
export const readFileAtRef = async (
  repo: string,
  ref: string,
  path: string,
  maxBytes: number,
  fallback: (sha: string) => Promise<CommitInfo | undefined>,
): Promise<{ commit: CommitInfo; file?: { size: number; text?: string } } | undefined> => {
  let batch = takeSpare(repo) ?? new CatFileBatch(repo);
  try {
    let c = await batch.ask(`${ref}^{commit}`, MAX_COMMIT_BYTES);
    if ((c === undefined || c.type !== 'commit') && batch.spare) {
      // A spare answers as a new process would; a miss is asked again of a new one all the same.
      batch.close();
      batch = new CatFileBatch(repo);
      c = await batch.ask(`${ref}^{commit}`, MAX_COMMIT_BYTES);
    }
    if (c === undefined || c.type !== 'commit' || c.content === undefined) return undefined;
    let commit = parseCommit(c.oid, c.content);
    if (commit === undefined) {
      commit = await fallback(c.oid);
      if (commit === undefined) return undefined;
    }
    const f = await batch.ask(`${commit.sha}:${path}`, maxBytes);
    if (f === undefined || f.type !== 'blob') return { commit };
    return { commit, file: f.content === undefined ? { size: f.size } : { size: f.size, text: f.content.toString('utf8') } };
  } finally {
    batch.close();
    prepareSpare(repo);
  }
};

/**
 * One `cat-file --batch` per repository started ahead, waiting for the next run: its fork and exec
 * were the first process start on the path from trigger to first step. git reads the refs and
 * looks for new packs at each question, so a process started earlier answers as a new one (commits,
 * new branches, repacks and packed refs in between were checked); a repository directory replaced
 * since (a restore) gets a new process. A spare unused for SPARE_IDLE_MS ends.
 */
interface Spare {
  batch: CatFileBatch;
  /** The repository directory and its .git, as they were when the spare started. */
  identity: string;
  expiry: NodeJS.Timeout;
}

const spares = new Map<string, Spare>();
const SPARE_IDLE_MS = 10 * 60_000;
/** A new spare starts this long after a use, off the path of the run that used the last one. */
const SPARE_DELAY_MS = 500;
const MAX_SPARES = 4;

const identityOf = (repo: string): string => {
  const one = (p: string): string => {
    const st = statSync(p, { throwIfNoEntry: false });
    return st === undefined ? '-' : `${st.dev}:${st.ino}`;
  };
  return `${one(repo)}/${one(`${repo}/.git`)}`;
};

const takeSpare = (repo: string): CatFileBatch | undefined => {
  const s = spares.get(repo);
  if (s === undefined) return undefined;
  spares.delete(repo);
  clearTimeout(s.expiry);
  if (!s.batch.alive || identityOf(repo) !== s.identity) {
    s.batch.close();
    return undefined;
  }
  s.batch.hold(true);
  s.batch.spare = true;
  return s.batch;
};

const preparing = new Set<string>();

const prepareSpare = (repo: string): void => {
  if (spares.has(repo) || preparing.has(repo)) return;
  preparing.add(repo);
  setTimeout(() => {
    preparing.delete(repo);
    if (spares.has(repo)) return;
    const identity = identityOf(repo);
    if (identity.startsWith('-')) return;
    if (spares.size >= MAX_SPARES) {
      const [oldest] = spares.keys();
      if (oldest !== undefined) takeSpare(oldest)?.close();
    }
    const batch = new CatFileBatch(repo);
    batch.hold(false);
    const expiry = setTimeout(() => takeSpare(repo)?.close(), SPARE_IDLE_MS);
    expiry.unref();
    spares.set(repo, { batch, identity, expiry });
  }, SPARE_DELAY_MS).unref();
};

/**
 * A commit object's sha, committer time, author name and subject, as `git show` prints them with
 * %H %ct %an %s; undefined when its message has another encoding than UTF-8 (or it is malformed).
 */
export const parseCommit = (sha: string, content: Buffer): CommitInfo | undefined => {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  let author: string | undefined;
  let time: number | undefined;
  for (const line of head.split('\n')) {
    if (line.startsWith('author ')) author = identName(line.slice(7));
    else if (line.startsWith('committer ')) time = identTime(line.slice(10));
    else if (line.startsWith('encoding ') && !/^utf-?8$/i.test(line.slice(9).trim())) return undefined;
  }
  if (author === undefined || time === undefined) return undefined;
  return { sha, time, author, subject: subjectOf(message) };
};

/** `Name <email> 1700000000 +0000` → `Name` (what %an prints). */
const identName = (ident: string): string => {
  const lt = ident.indexOf('<');
  return (lt < 0 ? ident : ident.slice(0, lt)).trim();
};

/** `Name <email> 1700000000 +0000` → 1700000000. */
const identTime = (ident: string): number | undefined => {
  const gt = ident.lastIndexOf('>');
  const m = /^\s*(\d+)/.exec(ident.slice(gt + 1));
  return m ? Number(m[1]) : undefined;
};

/** The first paragraph of a message on one line, as %s prints it. */
export const subjectOf = (message: string): string => {
  const lines = message.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
  const out: string[] = [];
  for (; i < lines.length; i++) {
    const l = (lines[i] ?? '').replace(/\s+$/, '');
    if (l === '') break;
    out.push(l);
  }
  return out.join(' ');
};
