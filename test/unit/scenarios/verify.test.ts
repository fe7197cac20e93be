// compareMemory reads the whole dump back through its reader and compares it with crash-time
// memory, reading only data pages when the file's allocation proves the rest are holes. Damage
// anywhere must be counted.
import { closeSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withDump } from '../../../dump/formats.ts';
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
});
