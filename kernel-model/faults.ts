// Deliberate bugs, to test the tests: `fadump-sim check --inject-fault NAME` turns one on so a
// property campaign can show it finds the bug and shrinks it to a small scenario file. Never on in
// normal runs; nothing but the check command and its tests sets them.

export const FAULT_NAMES = [
  'boot-mem-off-by-one',
  'note-wrong-nip',
  'note-cpu-dropped',
  'vmcoreinfo-damaged',
  'capture-throws',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * boot-mem-off-by-one: the fadump kernel's elfcorehdr stops one boot-memory region short (a
 * `< n - 1` loop bound), so with boot memory in several regions the last one is missing from the
 * vmcore.
 * note-wrong-nip: the fadump kernel writes nip = 0 into the crashing CPU's PRSTATUS note.
 * note-cpu-dropped: the fadump kernel leaves the last CPU's PRSTATUS note out (with two CPUs or more).
 * vmcoreinfo-damaged: /proc/vmcore exports the VMCOREINFO note with one digit of CRASHTIME changed.
 * capture-throws: setting up /proc/vmcore throws, as a bug in the model would, after some outputs
 * are written (to show that a run cut short by a bug leaves nothing half-written).
 */
export const injectedFaults = new Set<FaultName>();

/** Turns on exactly the faults named; throws Error naming an unknown one. */
export function setInjectedFaults(names: readonly string[]): void {
  const unknown = names.find((n) => !FAULT_NAMES.includes(n as FaultName));
  if (unknown !== undefined) throw new Error(`unknown fault ${unknown}: ${FAULT_NAMES.join(', ')}`);
  injectedFaults.clear();
  for (const n of names) injectedFaults.add(n as FaultName);
}
