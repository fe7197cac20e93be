// Firmware personalities: how strictly a pSeries firmware applies PAPR to fadump. `powervm` is PAPR
// as PowerVM enforces it; `qemu` is QEMU 10.2's hw/ppc/spapr_fadump.c with each of its documented
// quirks named (QEMU hw/ppc/spapr_fadump.c), so a test can show every one.

/** QEMU 10.2 behaviours that differ from PAPR/PowerVM; each is a switch a test can observe. */
export const QEMU_QUIRKS = {
  anyLengthFromHeader: 'register accepts any length >= 40; PowerVM requires exactly 40 + 40n',
  versionPropertyHostOrder:
    'ibm,configure-kernel-dump-version cells written in host (x86 little-endian) order',
  cpuSizeCountsCores:
    'ibm,configure-kernel-dump-sizes counts possible core slots, but a record is written per thread',
  regsaveQemuLayout: 'REGSAVE with NumCpusOffset 0x10, 79 entries per CPU and 12 uninitialised tail bytes',
  staleCtrLrXerCfar: 'CTR, LR, XER and CFAR are read from the generic SPR array, so they are saved as 0',
  invalidateAlwaysSucceeds: 'invalidate returns 0 even when no dump is active',
  statusOverwritesError: 'header status is assigned 0xC000 after processing, losing the 0x2000 error bit',
  cpuDestinationAsInvalidSource:
    'an unusable CPU-state destination sets 0x4000 (invalid source) instead of 0x1000',
  partialCopyReportsZero: 'a boot-memory copy that fails part-way reports 0 bytes dumped',
  neverBusy: 'never answers busy (-2) or extended delay (9900-9905); PowerVM may (PAPR R1-7.3.30-3)',
  errorFlagsHostOrder:
    'section error flags are stored in host byte order: on a little-endian host the guest reads 0x4000 as 0x0040 and 0x1000 as 0x0010',
  osTermNoArityCheck:
    'ibm,os-term reads its message pointer and stores its status whatever nargs and nret say; PowerVM answers -3',
  noSourceRangeCheck:
    "register does not check that a memory section's source is partition memory; PowerVM answers -3",
  noDestinationSizeCheck:
    'copies a section larger than its destination length; PowerVM sets DestinationTooSmall',
  noOverlapCheck:
    'copies a section whose destination overlaps its source, 32 MiB at a time from the start; PowerVM sets InvalidDestination',
  cpuRecordsEveryThread:
    'writes a CPU record for every vCPU that exists, offline threads too; PAPR saves the CPUs online at the start of the dump',
} as const;

export type QuirkName = keyof typeof QEMU_QUIRKS;

/** The firmware personalities, by the name the CLI, scenario files and summaries use. */
export const PERSONALITY_NAMES = ['powervm', 'qemu'] as const;
export type PersonalityName = (typeof PERSONALITY_NAMES)[number];

export interface FirmwarePersonality {
  readonly name: PersonalityName;
  /** The root node's `model` property. */
  readonly model: string;
  readonly description: string;
  readonly quirks: ReadonlySet<QuirkName>;
}

/** One record per personality: every way one departs from PAPR as PowerVM applies it is a named quirk. */
export const PERSONALITIES: Readonly<Record<PersonalityName, FirmwarePersonality>> = {
  powervm: {
    name: 'powervm',
    model: 'IBM,9080-HEX',
    description: 'PAPR as PowerVM enforces it',
    quirks: new Set(),
  },
  qemu: {
    name: 'qemu',
    model: 'qemu,pseries',
    description: "QEMU 10.2's hw/ppc/spapr_fadump.c",
    quirks: new Set(Object.keys(QEMU_QUIRKS) as QuirkName[]),
  },
};

export const POWERVM = PERSONALITIES.powervm;
export const QEMU = PERSONALITIES.qemu;

export function personalityByName(name: string): FirmwarePersonality | undefined {
  return (PERSONALITY_NAMES as readonly string[]).includes(name)
    ? PERSONALITIES[name as PersonalityName]
    : undefined;
}

/** QEMU's RTAS token for ibm,configure-kernel-dump: RTAS_TOKEN_BASE 0x2000 + 0x2D. */
export const QEMU_CONFIGURE_KERNEL_DUMP_TOKEN = 0x202d;
