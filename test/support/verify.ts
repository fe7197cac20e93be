// What summary.verify holds for a dump that is exactly crash-time memory: no byte wrong, none
// missing, none extra, nothing left out by design; every register, CPU note and VMCOREINFO key as
// at the crash (registers the firmware does not save are counted apart, however many); no page left
// out that its dump level does not allow (what the level allows is counted apart).
import { expect } from 'vitest';

export const EXACT = {
  mismatchedBytes: 0,
  missingBytes: 0,
  extraBytes: 0,
  notDumpedByDesignBytes: 0,
  beyondLimitBytes: 0,
  registerMismatches: [],
  registersNotSavedByDesign: expect.any(Number),
  missingCpus: [],
  extraCpus: [],
  vmcoreinfoMismatch: [],
  excludablePages: expect.any(Object),
  wronglyLeftOutPages: 0,
} as const;
