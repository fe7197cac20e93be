// Reading a dump file forward in large reads: readers ask for one page at a time, in file order
// mostly, and a read system call per page would cost more than the page. Reads that jump about
// (verification visiting the few present pages of a sparse core) would pay for a whole window each
// time, so the window starts small and doubles while reads follow one another, as the kernel's own
// read-ahead does.

import type { FileIn } from './dump-file.ts';

/** Bytes read at once, at most and at first. */
const WINDOW = 2 ** 20;
const FIRST_WINDOW = 2 ** 16;

export class ReadAhead {
  private window: Uint8Array = new Uint8Array(0);
  private at = 0;
  private next = FIRST_WINDOW;

  constructor(private readonly file: FileIn) {}

  /**
   * The file's bytes [at, at+len), a view never to be written (it stays as it is after later
   * calls); or undefined when the range is larger than a read-ahead or leaves the file (the caller
   * reads it).
   */
  view(at: number, len: number): Uint8Array | undefined {
    const direct = this.file.view?.(at, len);
    if (direct) return direct;
    const from = at - this.at;
    if (from >= 0 && from + len <= this.window.length) return this.window.subarray(from, from + len);
    if (len > WINDOW || !Number.isSafeInteger(at) || at < 0 || at + len > this.file.size) return undefined;
    // Reading on from the window: a larger one; from elsewhere: a small one again.
    this.next = at === this.at + this.window.length ? Math.min(WINDOW, this.next * 2) : FIRST_WINDOW;
    // A new buffer each time: a view handed out earlier stays as it was.
    // Not zeroed first: every byte of it lies in the file, so the read fills it.
    this.window = Buffer.allocUnsafe(Math.min(Math.max(this.next, len), this.file.size - at));
    this.file.read(this.window, at);
    this.at = at;
    return this.window.subarray(0, len);
  }
}
