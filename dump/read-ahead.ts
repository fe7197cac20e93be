// Reading a dump file forward in large reads: readers ask for one page at a time, in file order
// mostly, and a read system call per page would cost more than the page.

import type { FileIn } from './dump-file.ts';

/** Bytes read at once. */
const WINDOW = 2 ** 20;

export class ReadAhead {
  private window: Uint8Array = new Uint8Array(0);
  private at = 0;

  constructor(private readonly file: FileIn) {}

  /**
   * The file's bytes [at, at+len), a view valid until the next call and never to be written; or
   * undefined when the range is larger than a read-ahead or leaves the file (the caller reads it).
   */
  view(at: number, len: number): Uint8Array | undefined {
    const from = at - this.at;
    if (from >= 0 && from + len <= this.window.length) return this.window.subarray(from, from + len);
    if (len > WINDOW || !Number.isSafeInteger(at) || at < 0 || at + len > this.file.size) return undefined;
    // A new buffer each time: a view handed out earlier stays as it was.
    this.window = new Uint8Array(Math.min(WINDOW, this.file.size - at));
    this.file.read(this.window, at);
    this.at = at;
    return this.window.subarray(0, len);
  }
}
