import { describe, expect, it } from 'vitest';
import { hostileCores, hostileScenarios, sampleInputs } from '../../../testing/hostile-files.ts';

describe('hostile scenario files', () => {
  it('400 files: each accepted or refused with one file:line:column line', () => {
    const r = hostileScenarios(9, 400);
    expect(r.violations).toEqual([]);
    expect(r.outcomes.ScenarioError).toBeGreaterThan(200);
    expect(r.slowestMs).toBeLessThan(5000);
  });
});

describe('hostile dump files and device tree blobs', () => {
  it('450 damaged or truncated ELF cores, kdump files and DTBs: each read or refused with one DumpFileError or DtbError line', async () => {
    const r = hostileCores(5, 450, await sampleInputs());
    expect(r.violations).toEqual([]);
    expect(r.outcomes['core DumpFileError']).toBeGreaterThan(20);
    expect(r.outcomes['kdump DumpFileError']).toBeGreaterThan(20);
    expect(r.outcomes['dtb DtbError']).toBeGreaterThan(20);
    expect(r.outcomes.read).toBeGreaterThan(0);
  });
});
