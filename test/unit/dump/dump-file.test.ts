// MemoryFile: the in-memory side of the dump-file seam. It must read back exactly what was written
// wherever the writes fall, keep a writer's stable whole chunks without letting later writes reach
// the writer's buffers, and offer zero-copy views only where it holds the bytes in one piece.
import { describe, expect, it } from 'vitest';
import { MemoryFile } from '../../../dump/dump-file.ts';
import { BACKING_PAGE, PhysicalMemory } from '../../../emulator/physical-memory.ts';

const CHUNK = 0x10000;
const filled = (n: number, v: number) => new Uint8Array(n).fill(v);

function readAll(f: MemoryFile): Uint8Array {
  const out = new Uint8Array(f.size);
  f.open().read(out, 0);
  return out;
}

describe('MemoryFile', () => {
  it('reads back unaligned writes across chunks, holes as zero, and truncates', () => {
    const f = new MemoryFile('m');
    const ref = new Uint8Array(5 * CHUNK);
    const put = (parts: Uint8Array[], at: number, stable = false) => {
      f.write(parts, at, stable);
      let p = at;
      for (const x of parts) {
        ref.set(x, p);
        p += x.length;
      }
    };
    put([filled(10, 1), filled(CHUNK + 7, 2)], CHUNK - 5);
    put([filled(CHUNK, 3)], 3 * CHUNK, true);
    put([filled(3, 4)], 3 * CHUNK + 100);
    expect(f.size).toBe(3 * CHUNK + CHUNK);
    expect(Buffer.compare(readAll(f), ref.subarray(0, f.size))).toBe(0);
    f.truncate(3 * CHUNK + 50);
    expect(Buffer.compare(readAll(f), ref.subarray(0, 3 * CHUNK + 50))).toBe(0);
    f.truncate(4 * CHUNK);
    expect(
      readAll(f)
        .subarray(3 * CHUNK + 50)
        .every((b) => b === 0),
    ).toBe(true);
    // Chunks 0, 1 and 2 (the first write) and 3.
    expect(f.open().allocated()).toEqual({ bytes: 4 * CHUNK, block: CHUNK });
  });

  it('keeps a stable whole chunk without copying it, and copies it before changing it', () => {
    const f = new MemoryFile('m');
    const page = filled(CHUNK, 7);
    f.write([page], CHUNK, true);
    expect(f.open().view!(CHUNK, CHUNK)!.buffer).toBe(page.buffer);
    f.write([Uint8Array.of(9)], CHUNK + 1);
    f.truncate(CHUNK + 10);
    expect(page.every((b) => b === 7)).toBe(true);
    expect([...readAll(f).subarray(CHUNK, CHUNK + 12)]).toEqual([7, 9, 7, 7, 7, 7, 7, 7, 7, 7]);
    // Not stable: copied at once, so the caller may reuse its buffer.
    const scratch = filled(CHUNK, 5);
    f.write([scratch], 0);
    scratch.fill(6);
    expect(readAll(f)[0]).toBe(5);
  });

  it('views bytes in one chunk (a never-written chunk as zeros) and nothing across chunks or the end', () => {
    const f = new MemoryFile('m');
    f.write([Uint8Array.of(1, 2, 3)], 2 * CHUNK + 4);
    const file = f.open();
    expect([...file.view!(2 * CHUNK + 4, 3)!]).toEqual([1, 2, 3]);
    expect([...file.view!(10, 4)!]).toEqual([0, 0, 0, 0]);
    expect(file.view!(CHUNK - 2, 4)).toBeUndefined();
    expect(file.view!(2 * CHUNK + 4, 4)).toBeUndefined();
  });
});

describe('PhysicalMemory.frozen', () => {
  it('hands out a page that later writes, copies and zeroing never change', () => {
    const m = new PhysicalMemory(() => true);
    m.poke(0, filled(BACKING_PAGE, 1));
    const page = m.frozen(0)!;
    m.poke(5, Uint8Array.of(2));
    m.copy(BACKING_PAGE, 0, 16);
    m.zero(0, BACKING_PAGE);
    expect(page.every((b) => b === 1)).toBe(true);
    expect(m.frozen(3)).toBeUndefined();
  });
});
