// compareMemory reads the whole dump back through its reader and compares it with crash-time
// memory, reading only data pages when the file's allocation proves the rest are holes. Damage
// anywhere must be counted.
import { closeSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { withDump } from '../../../dump/formats.ts';
import { openKdumpDump } from '../../../dump/kdump-reader.ts';
import { PAGE_DESC } from '../../../dump/kdump-structs.ts';
import { compareMemory } from '../../../scenarios/verify.ts';
import { run } from '../../support/partition.ts';

async function captured() {
  const r = await run();
  const { path, format } = r.captures[0]!;
  const loads = withDump(path, format, (d) => d.contents.loads);
  const verify = () => withDump(path, format, (d) => compareMemory(d, r.snapshots[0]!));
  return { r, path, loads, verify };
}

function pwrite(path: string, at: number, bytes: Uint8Array) {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

describe('compareMemory', () => {
  it('finds a clean capture clean, and the file is sparse', async () => {
    const { path, verify } = await captured();
    expect(verify()).toBe(0);
    // 2 GiB of memory: the kernel image, the memory map and the used pages' contents are data
    // (about 26 MiB); the free and zero memory is holes.
    expect(statSync(path).blocks * 512).toBeLessThan(statSync(path).size / 20);
  });

  it('counts bytes written into a hole of the file', async () => {
    const { path, loads, verify } = await captured();
    const high = loads.at(-1)!;
    pwrite(path, high.fileOffset + high.size - 4096, Uint8Array.of(1, 2, 3));
    expect(verify()).toBe(3);
  });

  it('counts bytes changed inside a data page (the crashed kernel log in boot memory)', async () => {
    const { path, loads, verify } = await captured();
    const boot = loads[0]!;
    pwrite(path, boot.fileOffset + 0x01b0_0010, Uint8Array.of(0xff, 0xff));
    expect(verify()).toBeGreaterThanOrEqual(1);
  });

  it('counts a truncated file', async () => {
    const { path, loads, verify } = await captured();
    truncateSync(path, loads.at(-1)!.fileOffset + 4096);
    expect(verify()).toBeGreaterThan(0);
  });

  it('counts a kdump page whose descriptor points at another page, among pages stored alike', async () => {
    // The reader gives identical stored pages one buffer and verification compares each pair of
    // buffers once: a page that repeats elsewhere, swapped for another, must still be counted.
    const r = await run({ memory: 2 * 2 ** 30, cpus: 2, crashCpu: 1, dump: { format: 'kdump', level: 31 } });
    const { path } = r.captures[0]!;
    const k = openKdumpDump(path);
    const [offDesc, dumped] = [k.contents.headerBytes, k.contents.pagesDumped];
    k.close();
    const file = readFileSync(path);
    const desc = (i: number) => PAGE_DESC.decode(file, 'le', offDesc + i * PAGE_DESC.size);
    const stored = (i: number) => {
      const d = desc(i);
      return file.subarray(Number(d.offset), Number(d.offset) + d.size);
    };
    const page = (i: number) => (desc(i).flags ? inflateSync(stored(i)) : stored(i));
    const key = (i: number) => stored(i).toString('latin1');
    const seen = new Map<string, number>();
    let a = -1;
    for (let i = 0; i < dumped && a < 0; i++) {
      if (page(i).every((b) => b === 0)) continue;
      if (seen.has(key(i))) a = i;
      else seen.set(key(i), i);
    }
    expect(a, 'a stored page that repeats').toBeGreaterThan(0);
    const b = [...seen.values()].find((i) => key(i) !== key(a))!;
    const differ = page(a).reduce((n, x, k) => n + (x === page(b)[k] ? 0 : 1), 0);
    expect(differ).toBeGreaterThan(0);
    // Compared with the raw snapshot, the firmware-owned bytes the dump boot rewrote differ too.
    const clean = withDump(path, 'kdump', (d) => compareMemory(d, r.snapshots[0]!));
    pwrite(
      path,
      offDesc + a * PAGE_DESC.size,
      file.subarray(offDesc + b * PAGE_DESC.size, offDesc + (b + 1) * PAGE_DESC.size),
    );
    expect(withDump(path, 'kdump', (d) => compareMemory(d, r.snapshots[0]!))).toBe(clean + differ);
  });
});
