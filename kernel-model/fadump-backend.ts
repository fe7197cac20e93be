// What the generic fadump code (fadump.ts) needs of a platform: the pSeries RTAS backend
// (rtas-fadump.ts) and the PowerNV OPAL backend (opal-fadump.ts), as Linux's struct fadump_ops.

import type { Range } from '../emulator/memory-blocks.ts';
import type { CrashState, Section } from './fadump.ts';

export interface FadumpBackend {
  /**
   * The platform's early_init_dt_scan: what firmware offers, or undefined when it offers no fadump.
   * The generic code keeps what it returns in fw_dump.
   */
  scan(): FirmwareScan | undefined;
  /**
   * The platform's metadata set up before the reservation (opal_fadump_setup_metadata): 0 or a
   * negative errno, which disables fadump with nothing reserved. Platforms without it have none.
   */
  setupMetadata?(): number;
  /** Whether the platform passes additional parameters (rtas_fadump_dt_scan sets it; OPAL does not). */
  readonly paramAreaSupported: boolean;
  /** Log prefix: "rtas fadump" or "opal fadump". */
  readonly prefix: string;
  /** Smallest boot memory the platform accepts. */
  readonly minBootMem: number;
  /** Most boot-memory regions one registration can carry. */
  readonly maxBootMemRegions: number;
  /** Largest region one firmware copy takes (OPAL sizes are 32-bit). */
  readonly maxCopySize: number;
  /** Bytes the platform adds at the end of the reserved area (OPAL's kernel metadata). */
  metadataSize(): number;
  /** fadump_ops.fadump_register, after the generic checks: 0 or a negative errno. */
  register(): number;
  /** fadump_ops.fadump_unregister: whether firmware forgot the registration. */
  unregister(): boolean;
  /** fadump_ops.fadump_invalidate: whether firmware let go of the waiting dump. */
  invalidate(): boolean;
  /** The id the crash info header records for the crashing CPU (logical id; the PIR on OPAL). */
  crashingCpuId(cpu: number): number;
  /** fadump_ops.fadump_trigger: hand over to firmware, which takes the dump. */
  trigger(message: string): void;
  /** 6.10+ fadump_ops.fadump_process: the platform's checks, then the CPU notes; the refusal, if any. */
  process(fdh: CrashState): string | undefined;
  /** Before 6.10: the platform's checks of the waiting dump; the refusal, if any. */
  legacyChecks(): string | undefined;
  /** The CPU notes, and phdr[0] of the elfcorehdr at `elfcorehdrAt` pointing at them. */
  buildCpuNotes(fdh: CrashState, elfcorehdrAt: number): string | undefined;
}

/** What a backend's scan of the device tree found. */
export interface FirmwareScan {
  /** Bytes firmware needs for the CPU state and HPTE sections (pSeries; 0 on OPAL). */
  cpuStateSize: number;
  hpteSize: number;
  /** The dump firmware holds for this boot (the fadump kernel's), as its *_get_config reads it. */
  active?: ActiveDump;
}

/** A waiting dump's layout: where boot memory was copied, the header, the reserved area. */
export interface ActiveDump {
  /** The boot-memory regions firmware copied, in order from address 0. */
  bootMemRegions: Range[];
  /** Where the first region's copy starts; the rest follow back to back. */
  bootMemDestAddr: number;
  reserveStart: number;
  fadumphdrAddr: number;
  /** pSeries: where firmware saved the CPU state, the sections of the dump and the header status. */
  cpuStateDest?: number;
  sections?: Section[];
  headerStatus?: number;
  /** pSeries 6.10+: where the additional-parameters section was preserved (its destination). */
  paramArea?: number;
}
