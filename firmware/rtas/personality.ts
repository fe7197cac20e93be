// Firmware personalities: how strictly a pSeries firmware applies PAPR to fadump. `powervm` is PAPR
// as PowerVM enforces it; `qemu` is QEMU 10.2's hw/ppc/spapr_fadump.c with each of its documented
// quirks named (spec/firmware.md §3), so a test can show every one.

/** QEMU 10.2 behaviours that differ from PAPR/PowerVM; each is a switch a test can observe. */
export const QEMU_QUIRKS = {
  anyLengthFromHeader: 'register accepts any length >= 40; PowerVM requires exactly 40 + 40n (§3.4, §2.2)',
  versionPropertyHostOrder:
    'ibm,configure-kernel-dump-version cells written in host (x86 little-endian) order (§3.8)',
  cpuSizeCountsCores:
    'ibm,configure-kernel-dump-sizes counts possible core slots, but a record is written per thread (§3.8)',
  regsaveQemuLayout:
    'REGSAVE with NumCpusOffset 0x10, 79 entries per CPU and 12 uninitialised tail bytes (§3.7)',
  staleCtrLrXerCfar:
    'CTR, LR, XER and CFAR are read from the generic SPR array, so they are saved as 0 (§3.7)',
  invalidateAlwaysSucceeds: 'invalidate returns 0 even when no dump is active (§3.4)',
  statusOverwritesError:
    'header status is assigned 0xC000 after processing, losing the 0x2000 error bit (§3.6)',
  cpuDestinationAsInvalidSource:
    'an unusable CPU-state destination sets 0x4000 (invalid source) instead of 0x1000 (§3.6)',
  partialCopyReportsZero: 'a boot-memory copy that fails part-way reports 0 bytes dumped (§3.6)',
} as const;

export type QuirkName = keyof typeof QEMU_QUIRKS;

export interface FirmwarePersonality {
  readonly name: 'powervm' | 'qemu';
  readonly quirks: ReadonlySet<QuirkName>;
}

export const POWERVM: FirmwarePersonality = { name: 'powervm', quirks: new Set() };
export const QEMU: FirmwarePersonality = {
  name: 'qemu',
  quirks: new Set(Object.keys(QEMU_QUIRKS) as QuirkName[]),
};

export function personalityByName(name: string): FirmwarePersonality | undefined {
  return name === 'powervm' ? POWERVM : name === 'qemu' ? QEMU : undefined;
}

/** QEMU's RTAS token for ibm,configure-kernel-dump: RTAS_TOKEN_BASE 0x2000 + 0x2D. */
export const QEMU_CONFIGURE_KERNEL_DUMP_TOKEN = 0x202d;
