// verifyVmcore compares the whole file with crash-time memory, reading only data pages when the
// file's allocation proves the rest are holes. Damage anywhere must be counted.
import { closeSync, mkdtempSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyVmcore } from '../../../kernel-model/proc-vmcore.ts';
import { DEFAULT_RUN, runScenario } from '../../../scenarios/run.ts';

async function captured() {
  const r = await runScenario(
    { ...DEFAULT_RUN, memory: 2 * 2 ** 30 },
    mkdtempSync(join(tmpdir(), 'fadump-verify-')),
  );
  const { path, layout } = r.captures[0]!;
  const verify = () => verifyVmcore(path, layout, r.snapshots[0]!, r.machine.memory);
  return { r, path, layout, verify };
}

function pwrite(path: string, at: number, bytes: Uint8Array) {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

describe('verifyVmcore', () => {
  it('finds a clean capture clean, and the file is sparse', async () => {
    const { path, layout, verify } = await captured();
    expect(await verify()).toBe(0);
    expect(statSync(path).blocks * 512).toBeLessThan(layout.fileSize / 100);
  });

  it('counts bytes written into a hole of the file', async () => {
    const { path, layout, verify } = await captured();
    const high = layout.loads.at(-1)!;
    pwrite(path, high.fileOffset + high.size - 4096, Uint8Array.of(1, 2, 3));
    expect(await verify()).toBe(3);
  });

  it('counts bytes changed inside a data page (the crashed kernel log in boot memory)', async () => {
    const { path, layout, verify } = await captured();
    const boot = layout.loads[0]!;
    pwrite(path, boot.fileOffset + 0x01b0_0010, Uint8Array.of(0xff, 0xff));
    expect(await verify()).toBeGreaterThanOrEqual(1);
  });

  it('counts a truncated file', async () => {
    const { path, layout, verify } = await captured();
    truncateSync(path, layout.loads.at(-1)!.fileOffset + 4096);
    expect(await verify()).toBeGreaterThan(0);
  });
});
