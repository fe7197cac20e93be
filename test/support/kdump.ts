// Two kdump-compressed files compared as makedumpfile's own output is compared with ours: the same
// bytes up to the page descriptors (header, sub header, notes, both bitmaps), the same pages left
// out and stored as the shared zero page, and every page the same.
import { openSync, readSync } from 'node:fs';
import { expect } from 'vitest';
import { withDump } from '../../dump/formats.ts';

/** The first `n` bytes of a file. */
export function head(path: string, n: number): Buffer {
  const b = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  readSync(fd, b, 0, n, 0);
  return b;
}

export function expectSameKdump(ours: string, theirs: string): void {
  withDump(ours, 'kdump', (a) =>
    withDump(theirs, 'kdump', (b) => {
      expect(a.contents.headerBytes).toBe(b.contents.headerBytes);
      expect(head(ours, a.contents.headerBytes).equals(head(theirs, b.contents.headerBytes))).toBe(true);
      expect(a.contents.loads).toEqual(b.contents.loads);
      expect(a.contents.leftOut).toEqual(b.contents.leftOut);
      expect(a.contents.sharedZero).toEqual(b.contents.sharedZero);
      for (const l of a.contents.loads) {
        for (let at = l.paddr; at < l.paddr + l.size; at += 2 ** 24) {
          const n = Math.min(2 ** 24, l.paddr + l.size - at);
          const x = a.read(at, n);
          const y = b.read(at, n);
          expect(x.unread).toBe(y.unread);
          expect(Buffer.from(x.data).equals(Buffer.from(y.data)), `memory at 0x${at.toString(16)}`).toBe(
            true,
          );
        }
      }
    }),
  );
}
