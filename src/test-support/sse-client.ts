// A Server-Sent Events client for tests: one GET over node:http, the frames parsed as they come
// (id, event, data and comments), waits with deadlines, and a disconnect that drops the socket
// the way a browser tab that closes does.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { waitFor } from './wait.js';

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

export class SseClient {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buf = '';

  private constructor(
    readonly status: number,
    readonly headers: IncomingMessage['headers'],
    private readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {}

  /** Opens a stream; an answer other than 200 is returned with its body read (`body`). */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient & { body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
      req.on('error', reject);
      req.on('response', (res) => {
        const c = new SseClient(res.statusCode ?? 0, res.headers, req, res) as SseClient & { body: string };
        if (c.status !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(Object.assign(c, { body })));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (d: string) => c.take(d));
        res.on('end', () => (c.ended = true));
        res.on('error', () => (c.ended = true));
        resolve(Object.assign(c, { body: '' }));
      });
      req.end();
    });
  }

  private take(chunk: string): void {
    this.buf += chunk;
    let end: number;
    while ((end = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      const frame: SseFrame = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('id: ')) frame.id = line.slice(4);
        else if (line.startsWith('event: ')) frame.event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) {
        frame.data = data.join('\n');
        this.frames.push(frame);
      }
    }
  }

  /** The data of each frame of this event name, parsed. */
  json<T>(event: string): T[] {
    return this.frames.filter((f) => f.event === event).map((f) => JSON.parse(f.data) as T);
  }

  /** Waits until `check` holds for the frames received so far. */
  async until(what: string, check: (frames: readonly SseFrame[]) => boolean, timeout = 30_000): Promise<void> {
    await waitFor(() => check(this.frames), { what, timeout, interval: 20 });
  }

  /** Waits for the server to end the stream. */
  async end(timeout = 30_000): Promise<void> {
    await waitFor(() => this.ended, { what: 'the server to end the stream', timeout, interval: 20 });
  }

  /** Drops the connection, as a client that goes away. */
  close(): void {
    this.req.destroy();
  }
}
