// Splits a byte stream into lines, keeping a partial line until its end arrives.
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.rest + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.emit(p.endsWith('\r') ? p.slice(0, -1) : p);
  }

  end(): void {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    if (last.length > 0) this.emit(last);
  }
}
