// What the generic fadump code (fadump.ts) needs of a platform: the pSeries RTAS backend
// (rtas-fadump.ts) and the PowerNV OPAL backend (opal-fadump.ts), as Linux's struct fadump_ops.

import type { CrashState } from './fadump.ts';

export interface FadumpBackend {
  /** The platform's early_init_dt_scan: whether firmware offers fadump (and what it reports). */
  scan(): boolean;
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
