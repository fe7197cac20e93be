// The Linux releases the model runs and what each does differently in fadump: one table of changes,
// each row keyed by the release that brought it and naming the upstream commit subject. A
// release's behaviour is the state before 6.10 with every row up to it applied, so a new release
// is new rows (and the code for any behaviour no field describes yet). Sources: arch/powerpc/kernel/
// fadump.c, arch/powerpc/platforms/pseries/rtas-fadump.c and powernv/opal-fadump.c of each release;
// the powerpc-6.10 fadump series; docs/kernel-releases.md is generated from this table.

export const RELEASE_NAMES = ['6.9', '6.10', '6.12', '6.13', '6.15'] as const;
export type Release = (typeof RELEASE_NAMES)[number];

/** Names kept from before releases were modelled: legacy is 6.9, resilient the newest release. */
export const KERNEL_ALIASES = { legacy: '6.9', resilient: '6.15' } as const satisfies Record<string, Release>;
export type KernelAlias = keyof typeof KERNEL_ALIASES;

/** What `--kernel`, `--capture-kernel` and a scenario's `kernel`/`captureKernel` take. */
export const KERNEL_NAMES = [...RELEASE_NAMES, 'legacy', 'resilient'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

export function releaseOf(name: KernelName): Release {
  return name in KERNEL_ALIASES ? KERNEL_ALIASES[name as KernelAlias] : (name as Release);
}

/** Whether release `a` comes before release `b`. */
export function before(a: Release, b: Release): boolean {
  return RELEASE_NAMES.indexOf(a) < RELEASE_NAMES.indexOf(b);
}

export interface KernelBehaviour {
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
  /**
   * Where the first kernel sets up the additional-parameters area (fadump_setup_param_area): not
   * at all, in setup_fadump before registering, or early in early_init_devtree once the MMU is known.
   */
  paramAreaSetup: 'none' | 'setup_fadump' | 'early_init_devtree';
  /** The fadump kernel appends the area's parameters to its command line (fadump_append_bootargs). */
  appendBootargs: boolean;
  /**
   * Which fadump kernel reserves the area with memblock before using it: one where it lies at or
   * above boot_mem_top, or (6.13) one where it lies below.
   */
  paramAreaReserve: 'at-or-above-boot-mem-top' | 'below-boot-mem-top';
  /**
   * fadump_cma_init: the whole boot-memory part lent to CMA at the end of fadump_reserve_mem
   * ("Initialized 0x… bytes cma area at …MB"), or (6.13) the part aligned inward to the pageblock,
   * later in setup_arch ("Initialized [0x…, …MB] cma area from [0x…, …MB]").
   */
  cma: 'whole' | 'inward';
  /** The minimum RMA prom_init asks for through ibm,client-architecture-support (MIN_RMA). */
  casMinRma: number;
  /**
   * The hash MMU's range for the parameter area: 672–736 MiB (below the old 768 MiB minimum RMA),
   * or (6.15) from MIN_RMA up to the RMA's end or boot_mem_top, whichever is lower.
   */
  hashParamRange: 'below-min-rma' | 'min-rma-to-boot-mem-top';
  /** parse_crashkernel refuses (-EINVAL) a size of all system RAM or more. */
  crashkernelBelowRam: boolean;
  /**
   * With `mem=`, fadump_reserve_mem raises memory_limit by the reserved area's size so the area may
   * lie past it ("Adjusted memory_limit for firmware-assisted dump, now …"), or keeps the user's
   * limit, which the area must then fit under.
   */
  memoryLimitForFadump: 'raised' | 'kept';
  /**
   * How early_init_devtree rounds the limit it enforces: memory_limit (or all memory) up to a page,
   * or (6.10) a limit above memory dropped and the rest down to 16 MiB.
   */
  memoryLimitAlign: 'page-up' | '16m-down';
}

export interface ReleaseChange {
  since: Release;
  /** The upstream commit subject. */
  commit: string;
  /** What changed, for people. */
  what: string;
  /** A built-in scenario that shows it. */
  scenario?: string;
  set: Partial<KernelBehaviour>;
}

/** fadump before 6.10. */
const BEFORE_6_10: KernelBehaviour = {
  header: 'old',
  elfcorehdrBuiltBy: 'first-kernel',
  hotplugReady: false,
  bootMemoryRegions: 'one',
  paramAreaSetup: 'none',
  appendBootargs: false,
  paramAreaReserve: 'at-or-above-boot-mem-top',
  cma: 'whole',
  casMinRma: 512 * 2 ** 20,
  hashParamRange: 'below-min-rma',
  crashkernelBelowRam: false,
  memoryLimitForFadump: 'raised',
  memoryLimitAlign: 'page-up',
};

export const RELEASE_CHANGES: readonly ReleaseChange[] = [
  {
    since: '6.10',
    commit: 'powerpc: make fadump resilient with memory add/remove events',
    what: 'The fadump kernel builds the ELF core header from the crash info header (magic FADMPSIG, with a version, the crashing CPU mask and the VMCOREINFO address); the first kernel no longer builds it nor re-registers on memory events.',
    scenario: 'resilient-hotplug-storm',
    set: { header: 'new', elfcorehdrBuiltBy: 'fadump-kernel' },
  },
  {
    since: '6.10',
    commit: 'powerpc/fadump: add hotplug_ready sysfs interface',
    what: '/sys/kernel/fadump/hotplug_ready reads 1, so the udev rule leaves the registration alone on memory events.',
    set: { hotplugReady: true },
  },
  {
    since: '6.10',
    commit: 'powerpc/pseries/fadump: add support for multiple boot memory regions',
    scenario: 'multiple-boot-memory-regions',
    what: 'The RTAS dump structure holds up to 10 sections, so boot memory with holes registers as several real-mode regions instead of failing with "Can\'t have holes in boot memory area.".',
    set: { bootMemoryRegions: 'several' },
  },
  {
    since: '6.10',
    commit: 'powerpc/fadump: setup additional parameters for dump capture kernel',
    what: 'The first kernel sets aside a COMMAND_LINE_SIZE (2048-byte) area (with the radix MMU in the upper half of memory; with the hash MMU only when the RMA reaches 768 MiB, between 672 and 736 MiB), registers it with firmware as a section of type 0x0100 preserved in place, and offers /sys/kernel/fadump/bootargs_append to fill it.',
    scenario: 'bootargs-append',
    set: { paramAreaSetup: 'setup_fadump' },
  },
  {
    since: '6.10',
    commit: 'powerpc/fadump: pass additional parameters when fadump is active',
    what: 'The fadump kernel appends the parameters it finds in the area to its command line ("Updated cmdline: ...").',
    scenario: 'bootargs-append',
    set: { appendBootargs: true },
  },
  {
    since: '6.10',
    commit: "powerpc/fadump: Don't update the user-specified memory limit",
    what: 'With mem=, the reserved area must end within the limit ("Failed to find memory chunk for reservation!" otherwise, and fadump stays off); before, fadump_reserve_mem raised memory_limit by the area\'s size, or to the end of memory ("Adjusted memory_limit for firmware-assisted dump, now 0x…"), in the fadump kernel too.',
    scenario: 'memory-limit',
    set: { memoryLimitForFadump: 'kept' },
  },
  {
    since: '6.10',
    commit: 'powerpc/mm: Align memory_limit value specified using mem= kernel parameter',
    what: 'early_init_devtree rounds the limit it enforces down to 16 MiB (the hash MMU maps the linear map in 16 MiB pages), and with "powerpc/mm: Update the memory limit based on direct mapping restrictions" drops a limit above memory; before, it rounded up to a page.',
    set: { memoryLimitAlign: '16m-down' },
  },
  {
    since: '6.12',
    commit: 'crash: fix crash memory reserve exceed system memory bug',
    what: 'parse_crashkernel refuses a crashkernel= size of all system RAM or more, so fadump falls back to its default boot-memory size; before, the size went on to be capped at a quarter of RAM ("Adjusted boot memory size to …MB").',
    set: { crashkernelBelowRam: true },
  },
  {
    since: '6.13',
    commit: 'powerpc/fadump: allocate memory for additional parameters early',
    what: 'The area is set up in early_init_devtree, right after the MMU is known, rather than in setup_fadump: also when fadump is off or its reservation failed; /sys/kernel/fadump/bootargs_append is created with the other files, so the fadump kernel has it too.',
    set: { paramAreaSetup: 'early_init_devtree' },
  },
  {
    since: '6.13',
    commit: 'fadump: reserve param area if below boot_mem_top',
    what: 'The fadump kernel reserves the parameter area with memblock when it lies below boot_mem_top (memory above it is kept for the dump anyway), rather than when it lies at or above it.',
    set: { paramAreaReserve: 'below-boot-mem-top' },
  },
  {
    since: '6.13',
    commit: 'powerpc/fadump: Reserve page-aligned boot_memory_size during fadump_reserve_mem',
    what: 'Boot memory is only page-aligned, and fadump_cma_init (moved to setup_arch after initmem_init by "powerpc/fadump: Move fadump_cma_init to setup_arch() after initmem_init()") lends CMA the boot-memory part aligned inward to the pageblock, saying "Initialized [0x…, …MB] cma area from [0x…, …MB] bytes of memory reserved for firmware-assisted dump" or "fadump_cma_init: Too less memory to give to CMA"; before, it lent all of it: "Initialized 0x… bytes cma area at …MB from 0x… bytes of memory reserved for firmware-assisted dump".',
    set: { cma: 'inward' },
  },
  {
    since: '6.15',
    commit: 'powerpc: increase MIN RMA size for CAS negotiation',
    what: 'prom_init asks firmware for a real mode area of at least 768 MiB (MIN_RMA) rather than 512 MiB through ibm,client-architecture-support, whether fadump is on or not: with vTPM, Secure Boot or fadump, 512 MiB left GRUB out of memory.',
    scenario: 'upgrade-6.12-to-6.15',
    set: { casMinRma: 768 * 2 ** 20 },
  },
  {
    since: '6.15',
    commit: 'powerpc/fadump: fix additional param memory reservation for HASH MMU',
    what: 'With the hash MMU the parameter area goes between MIN_RMA (768 MiB) and the end of the RMA or boot_mem_top, whichever is lower, since GRUB may now use memory up to 768 MiB; before, it went between 672 and 736 MiB.',
    set: { hashParamRange: 'min-rma-to-boot-mem-top' },
  },
];

/** What each release does: the state before 6.10 with every change up to it applied. */
const BEHAVIOURS = new Map<Release, Readonly<KernelBehaviour>>(
  RELEASE_NAMES.map((r) => {
    const out = { ...BEFORE_6_10 };
    for (const c of RELEASE_CHANGES) if (!before(r, c.since)) Object.assign(out, c.set);
    return [r, Object.freeze(out)];
  }),
);

/** What release `r` does. */
export function behaviourOf(r: Release): Readonly<KernelBehaviour> {
  return BEHAVIOURS.get(r)!;
}

/** utsname release, banner and VMCOREINFO OSRELEASE. */
export function osrelease(r: Release): string {
  return `${r}.0-fadump-sim`;
}

/** The newest release: what the model runs unless told otherwise. */
export const NEWEST: Release = RELEASE_NAMES[RELEASE_NAMES.length - 1]!;
