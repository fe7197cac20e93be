// The light part of the library: run options, their defaults and the units they are written in, and
// the output-file errors.
// It loads none of the model, so the command line's definitions (and --help) start fast on it.

export type { DumpFormatName } from '../dump/formats.ts';
export { asOutputError, errnoCause, OutputError, outputGuard } from '../emulator/output-guard.ts';
export { PERSONALITY_NAMES, type PersonalityName } from '../firmware/rtas/personality.ts';
export {
  KERNEL_ALIASES,
  KERNEL_NAMES,
  type KernelName,
  osrelease,
  RELEASE_NAMES,
  type Release,
  releaseOf,
} from '../kernel-model/releases.ts';
export type { LogLevel } from '../scenarios/event-log.ts';
export { nearest } from '../scenarios/nearest.ts';
export {
  type AfterCapture,
  DEFAULT_RUN,
  dumpLevelOf,
  type HotplugPlan,
  type MemoryStep,
  type RunOptions,
} from '../scenarios/run-options.ts';
export { durationNs, sizeBytes } from '../scenarios/units.ts';

/** The package's version (package.json's; a test keeps them equal). */
export const VERSION = '0.1.0';
