// Hostile input files (issue 7): garbage, deep nesting, alias bombs, huge and negative numbers,
// damaged scenario files, and damaged or truncated cores and DTBs all end in the tool's own
// one-line error (with file:line:column for scenarios), never another exception, in bounded time.
import { closeSync, mkdtempSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scenario } from '../../../scenarios/builder.ts';
import { hostileCores, hostileScenarios } from '../../../testing/hostile-files.ts';

describe('hostile scenario files', () => {
  it('400 files: each accepted or refused with one file:line:column line', () => {
    const r = hostileScenarios(9, 400);
    expect(r.violations).toEqual([]);
    expect(r.outcomes.ScenarioError).toBeGreaterThan(200);
    expect(r.slowestMs).toBeLessThan(5000);
  });
});

describe('hostile cores and device tree blobs', () => {
  it('300 damaged or truncated files: each read or refused with VmcoreError or DtbError', async () => {
    const run = await Scenario.create({ memory: 2 ** 30 })
      .boot()
      .crashAt()
      .run(mkdtempSync(join(tmpdir(), 'fadump-hostile-src-')));
    const fd = openSync(run.captures[0]!.path, 'r');
    const core = new Uint8Array(256 * 1024);
    readSync(fd, core, 0, core.length, 0);
    closeSync(fd);
    const head = run.machine.memory.peek(0x0e00_0000, 8);
    const size = new DataView(head.buffer, head.byteOffset).getUint32(4);
    const dtb = run.machine.memory.peek(0x0e00_0000, size);
    const r = hostileCores(5, 300, core, dtb);
    expect(r.violations).toEqual([]);
    expect(r.outcomes.VmcoreError).toBeGreaterThan(20);
    expect(r.outcomes.DtbError).toBeGreaterThan(20);
    expect(r.outcomes.read).toBeGreaterThan(0);
  });
});
