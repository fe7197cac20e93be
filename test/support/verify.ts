// What summary.verify holds for a dump that is exactly crash-time memory: no byte wrong, none
// missing, none extra, nothing left out by design.
export const EXACT = {
  mismatchedBytes: 0,
  missingBytes: 0,
  extraBytes: 0,
  notDumpedByDesignBytes: 0,
} as const;
