// What the model cannot run, checked before a run starts (one clear line, ConfigError), and the
// machine a run's options describe: its memory, LMBs, CPUs, the holes that split boot memory and
// the spare LMB slots hot-adds need.

import { DUMP_FORMATS } from '../dump/formats.ts';
import { fmtSize, Machine } from '../emulator/machine.ts';
import { ConfigError, LMB_DRC_BASE } from '../emulator/memory-blocks.ts';
import {
  type FirmwarePersonality,
  PERSONALITY_NAMES,
  personalityByName,
} from '../firmware/rtas/personality.ts';
import { RMA_MIN } from '../firmware/rtas/pseries-firmware.ts';
import { OPAL_FADUMP_MIN_BOOT_MEM } from '../kernel-model/opal-fadump.ts';
import { KERNEL_NAMES } from '../kernel-model/releases.ts';
import { spareFor, stepsOf } from './hotplug-timeline.ts';
import { dumpLevelOf, type RunOptions } from './run-options.ts';
import { fieldsOf, STRUCTS_BY_PLATFORM } from './structures.ts';

/** Default boot memory size: 5% of RAM rounded down to 256 MiB, at least 320 MiB (Linux fadump.c: fadump_calculate_reserve_size, fadump_reserve_mem). */
function defaultBootMem(memory: number): number {
  return Math.max(320 * 2 ** 20, Math.floor(memory / 20 / 0x1000_0000) * 0x1000_0000);
}

/**
 * Unassigned LMBs that split boot memory into `bootMemRegions` ranges. The RMA (first 256 MiB)
 * stays whole; the rest of boot memory is cut into equal runs of LMBs with a hole after each.
 */
function holesFor(o: RunOptions): number[] {
  if (o.bootMemRegions <= 1) return [];
  const rmaLmbs = Math.ceil(RMA_MIN / o.lmbSize);
  const restLmbs = Math.ceil(defaultBootMem(o.memory) / o.lmbSize) - rmaLmbs;
  const extra = o.bootMemRegions - 1;
  if (o.bootMemRegions > 7 || restLmbs < extra) {
    throw new ConfigError(
      `--boot-mem-regions ${o.bootMemRegions} is not possible with ${fmtSize(o.lmbSize)} LMBs: at most ${Math.min(7, 1 + restLmbs)} (use smaller LMBs)`,
    );
  }
  const per = Math.floor(restLmbs / extra);
  return Array.from({ length: extra }, (_, i) => rmaLmbs + i * (per + 1));
}

/** The dump's format and level: makedumpfile's -d takes 0 to 31. */
function checkDump(o: RunOptions): void {
  const format = o.dump?.format ?? 'elf';
  if (!(format in DUMP_FORMATS))
    throw new ConfigError(`--dump-format ${format} must be ${Object.keys(DUMP_FORMATS).join(' or ')}`);
  const level = dumpLevelOf(o);
  if (!Number.isInteger(level) || level < 0 || level > 31)
    throw new ConfigError(
      `--dump-level ${level} must be 0 to 31 (1 zero, 2 cache, 4 cache with private data, 8 user data, 16 free pages)`,
    );
}

/** Checks what the model cannot run; throws ConfigError with one clear line. */
export function validateRunOptions(o: RunOptions): FirmwarePersonality {
  for (const [flag, g] of [
    ['kernel', o.kernel],
    ['capture-kernel', o.captureKernel ?? o.kernel],
  ] as const) {
    if (!(KERNEL_NAMES as readonly string[]).includes(g))
      throw new ConfigError(
        `--${flag} ${g} must be a release (${KERNEL_NAMES.slice(0, -2).join(', ')}) or legacy or resilient`,
      );
  }
  if (o.platform === 'powernv') {
    if (stepsOf(o).some((s) => s.op === 'hotAdd' || s.op === 'hotRemove')) {
      throw new ConfigError('powernv has no DLPAR: use --offline, not --hot-add or --hot-remove');
    }
    if (o.bootMemRegions !== 1) throw new ConfigError('--boot-mem-regions applies to pseries only');
  } else if (o.platform !== 'pseries')
    throw new ConfigError(`--platform ${o.platform} is not supported yet (pseries)`);
  const p = personalityByName(o.firmware);
  if (!p) throw new ConfigError(`--firmware ${o.firmware} must be ${PERSONALITY_NAMES.join(' or ')}`);
  if (!Number.isInteger(o.cycles) || o.cycles < 1 || o.cycles > 16)
    throw new ConfigError(`--cycles ${o.cycles} must be 1 to 16`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    throw new ConfigError(`--seed ${o.seed} must be 0 to 4294967295`);
  checkDump(o);
  checkDrcIndexes(o);
  const memoryEvents = stepsOf(o).filter((st) =>
    ['hotAdd', 'hotRemove', 'offline', 'online'].includes(st.op),
  );
  if (o.crashAtEvent !== undefined && memoryEvents.length === 0)
    throw new ConfigError(
      `--crash-at-event ${o.crashAtEvent}: there are no memory events before the crash to crash in`,
    );
  if (o.platform === 'powernv' && o.firmware !== 'powervm')
    throw new ConfigError(`--firmware ${o.firmware} is a pSeries firmware; powernv runs skiboot (OPAL)`);
  for (const c of o.corrupt ?? []) {
    const names: readonly string[] = STRUCTS_BY_PLATFORM[o.platform];
    if (!names.includes(c.struct))
      throw new ConfigError(`--corrupt ${c.struct} is not a ${o.platform} structure: ${names.join(', ')}`);
    if (!fieldsOf(c.struct).includes(c.field))
      throw new ConfigError(
        `--corrupt ${c.struct} has no field ${c.field}: ${fieldsOf(c.struct).join(', ')}`,
      );
  }
  // Constructing the machine checks sizes and CPU counts.
  const m = new Machine({ ...machineConfig(o), memory: o.memory });
  if (!Number.isInteger(o.crashCpu) || o.crashCpu < 0 || o.crashCpu >= o.cpus) {
    throw new ConfigError(`--crash-cpu ${o.crashCpu} does not exist: the machine has CPUs 0-${o.cpus - 1}`);
  }
  const bootMem =
    o.platform === 'powernv'
      ? Math.max(OPAL_FADUMP_MIN_BOOT_MEM, defaultBootMem(o.memory))
      : defaultBootMem(o.memory);
  // On PowerNV skiboot's own memory (about 60 MiB at 768 MiB) also has to fit.
  const need = 2 * bootMem + (o.platform === 'powernv' ? 128 * 2 ** 20 : 2 ** 20);
  if (m.blocks.assignedBytes() < need) {
    throw new ConfigError(
      `--memory ${fmtSize(o.memory)} is smaller than fadump needs: ${fmtSize(bootMem)} of boot memory plus a reserved area of the same size`,
    );
  }
  return p;
}

export function machineConfig(o: RunOptions) {
  return {
    memory: o.memory,
    lmbSize: o.lmbSize,
    cpus: o.cpus,
    threadsPerCore: o.threadsPerCore,
    holes: holesFor(o),
    spareLmbs: o.hotplug?.spareLmbs ?? spareFor(stepsOf(o), o.memory / o.lmbSize + holesFor(o).length),
    seed: o.seed,
  };
}

/**
 * DRC indexes a DLPAR step names must be LMBs': at or above the first LMB's (0x80000000), an LMB
 * that is there to remove, and for an add before any remove, an LMB slot that is not assigned.
 */
function checkDrcIndexes(o: RunOptions): void {
  const holes = new Set(holesFor(o));
  const present = o.memory / o.lmbSize + holes.size;
  let removed = false;
  const hex = (d: number) => `0x${d.toString(16)}`;
  for (const [i, st] of stepsOf(o).entries()) {
    if (st.op !== 'hotAdd' && st.op !== 'hotRemove') continue;
    const flag = st.op === 'hotAdd' ? '--hot-add' : '--hot-remove';
    for (const d of st.drc ?? []) {
      const slot = d - LMB_DRC_BASE;
      if (slot < 0)
        throw new ConfigError(
          `${flag} DRC index ${d} (${hex(d)}) is no LMB's: LMB DRC indexes start at ${hex(LMB_DRC_BASE)}, the LMB at address 0`,
          i,
        );
      if (st.op === 'hotRemove' && slot >= present)
        throw new ConfigError(
          `${flag} DRC index ${hex(d)} is no LMB of this partition: its LMBs are ${hex(LMB_DRC_BASE)}-${hex(LMB_DRC_BASE + present - 1)}`,
          i,
        );
      if (st.op === 'hotAdd' && !removed && slot < present && !holes.has(slot))
        throw new ConfigError(
          `${flag} DRC index ${hex(d)} is assigned already: hot-add takes free LMB slots (from ${hex(LMB_DRC_BASE + present)})`,
          i,
        );
    }
    if (st.op === 'hotRemove') removed = true;
  }
}
