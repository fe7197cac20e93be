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

describe('hostile cores and device tree blobs', () => {
  it('300 damaged or truncated files: each read or refused with DumpFileError or DtbError', async () => {
    const { core, dtb } = await sampleInputs();
    const r = hostileCores(5, 300, core, dtb);
    expect(r.violations).toEqual([]);
    expect(r.outcomes.DumpFileError).toBeGreaterThan(20);
    expect(r.outcomes.DtbError).toBeGreaterThan(20);
    expect(r.outcomes.read).toBeGreaterThan(0);
  });
});
