// The kernel generations the model runs, one record each: what a Linux release does differently in
// fadump. A new release is one more row (and the code for any behaviour no row describes yet).
// Sources: the powerpc-6.10 fadump series (the elfcorehdr moved to the fadump kernel, commit
// "powerpc/fadump: export hotplug_ready ..."), arch/powerpc/kernel/fadump.c of each release.

export const GENERATION_NAMES = ['resilient', 'legacy'] as const;
export type Generation = (typeof GENERATION_NAMES)[number];

export interface KernelGeneration {
  name: Generation;
  /** utsname release, banner and VMCOREINFO OSRELEASE. */
  release: string;
  description: string;
  /** The crash info header: "FADMPINF" with elfcorehdr_addr (old), or "FADMPSIG" with a version (new). */
  header: 'old' | 'new';
  /**
   * Who builds the elfcorehdr: the first kernel at registration, in a buffer sized from the memory
   * ranges at early boot (and re-registered on every memory event), or the fadump kernel at capture.
   */
  elfcorehdrBuiltBy: 'first-kernel' | 'fadump-kernel';
  /** /sys/kernel/fadump/hotplug_ready exists and reads 1: the udev rule has nothing to do. */
  hotplugReady: boolean;
  /** RTAS registration may carry boot memory in several regions (otherwise "Can't have holes"). */
  bootMemoryRegions: 'one' | 'several';
}

export const GENERATIONS: Readonly<Record<Generation, KernelGeneration>> = {
  resilient: {
    name: 'resilient',
    release: '6.10.0-fadump-sim',
    description: 'Linux 6.10 and later',
    header: 'new',
    elfcorehdrBuiltBy: 'fadump-kernel',
    hotplugReady: true,
    bootMemoryRegions: 'several',
  },
  legacy: {
    name: 'legacy',
    release: '6.9.0-fadump-sim',
    description: 'before Linux 6.10',
    header: 'old',
    elfcorehdrBuiltBy: 'first-kernel',
    hotplugReady: false,
    bootMemoryRegions: 'one',
  },
};
