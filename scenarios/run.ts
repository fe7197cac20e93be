// Runs a crash scenario end to end on a pSeries partition: boot the first kernel, register fadump,
// panic on a CPU, let firmware take the dump and reboot keeping memory, boot the capture kernel,
// write /proc/vmcore to a file, verify it against the crash-time memory, release, and optionally
// crash again. The library entry point behind `fadump-sim run`.

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DUMP_FORMATS, type DumpFormatName, withDump } from '../dump/formats.ts';
import { cloneRegisters } from '../emulator/cpu-thread.ts';
import { fmtSize, Machine } from '../emulator/machine.ts';
import { ConfigError, type Range } from '../emulator/memory-blocks.ts';
import { asOutputError, assertWritable } from '../emulator/output-guard.ts';
import type { MemorySnapshot } from '../emulator/physical-memory.ts';
import { subtract } from '../emulator/ranges.ts';
import {
  type FirmwarePersonality,
  PERSONALITY_NAMES,
  personalityByName,
} from '../firmware/rtas/personality.ts';
import { type PseriesFirmware, RMA_MIN } from '../firmware/rtas/pseries-firmware.ts';
import { type DumpImage, presentRanges } from '../kernel-model/dump-image.ts';
import { GENERATION_NAMES } from '../kernel-model/generations.ts';
import type { Kernel, KernelConfig } from '../kernel-model/kernel.ts';
import { KERN_WARNING } from '../kernel-model/kernel-consts.ts';
import { buildOpalCore } from '../kernel-model/opal-core.ts';
import { OPAL_FADUMP_MIN_BOOT_MEM } from '../kernel-model/opal-fadump.ts';
import { procVmcore, VmcoreInitError } from '../kernel-model/proc-vmcore.ts';
import { SYMBOLS } from '../kernel-model/symbols.ts';
import { readVmcoreinfo } from '../kernel-model/vmcoreinfo.ts';
import { EventLog } from './event-log.ts';
import { applyHotplug, spareFor, stepsOf } from './hotplug-timeline.ts';
import { type MemoryMap, memoryMap } from './memory-map.ts';
import { platformOf } from './platforms.ts';
import { renderReport } from './report.ts';
import type { RunOptions } from './run-options.ts';
import {
  type AnnotatedStruct,
  annotateStructures,
  applyCorruption,
  fieldsOf,
  locateStructures,
  STRUCTS_BY_PLATFORM,
} from './structures.ts';
import { type CycleSummary, NO_HOTPLUG, NO_VERIFY, noDump, type Summary } from './summary.ts';
import { type CrashTruth, verifyDump } from './verify.ts';

export { stepsOf } from './hotplug-timeline.ts';
export {
  type AfterCapture,
  DEFAULT_RUN,
  type HotplugPlan,
  type MemoryStep,
  type RunOptions,
} from './run-options.ts';
export type { CycleSummary, DumpStatus, HotplugSummary, Summary } from './summary.ts';

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

/** Default boot memory size: 5% of RAM rounded down to 256 MiB, at least 320 MiB (Linux fadump.c (fadump_calculate_reserve_size, fadump_reserve_mem)). */
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

/** Checks what the model cannot run; throws ConfigError with one clear line. */
export function validateRunOptions(o: RunOptions): FirmwarePersonality {
  for (const [flag, g] of [
    ['kernel', o.kernel],
    ['capture-kernel', o.captureKernel ?? o.kernel],
  ] as const) {
    if (!(GENERATION_NAMES as readonly string[]).includes(g))
      throw new ConfigError(`--${flag} ${g} must be ${GENERATION_NAMES.join(' or ')}`);
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

function machineConfig(o: RunOptions) {
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

export interface RunResult {
  summary: Summary;
  machine: Machine;
  /** Crash-time memory of each cycle. */
  snapshots: MemorySnapshot[];
  /** Each vmcore written: its path and format. */
  captures: { path: string; format: DumpFormatName }[];
  /** Each OPAL core written (PowerNV). */
  opalcores: { path: string; format: DumpFormatName }[];
  /** The memory map at each phase: registered, at each crash, in each fadump kernel, after release. */
  maps: MemoryMap[];
  /** The first crash's structures, annotated from their field tables (after any corruption). */
  structures: AnnotatedStruct[];
}

/**
 * Runs the scenario, writing `vmcore` (and `vmcore.N` for later cycles), `summary.json` and
 * `console.log` into outDir. Every file is written under a temporary name and renamed.
 */
export interface RunHooks {
  /** Called once the first kernel has booted and registered, before any memory event. */
  afterBoot?: (machine: Machine, kernel: Kernel) => void;
  /** Called after firmware took the dump and before the capture kernel boots (tests corrupt memory here); `firmware` is set on pSeries. */
  beforeCaptureBoot?: (machine: Machine, firmware: PseriesFirmware | undefined, cycle: number) => void;
}

export async function runScenario(o: RunOptions, outDir: string, hooks: RunHooks = {}): Promise<RunResult> {
  const personality = validateRunOptions(o);
  const machine = new Machine(machineConfig(o));
  const platform = platformOf(o.platform, machine, personality);
  const kcfg: KernelConfig = { order: o.endian, generation: o.kernel, notePids: o.notePids };
  const ccfg: KernelConfig = {
    order: o.captureEndian ?? o.endian,
    generation: o.captureKernel ?? o.kernel,
    notePids: o.notePids,
  };
  await mkdir(outDir, { recursive: true }).catch((e) => {
    throw asOutputError(outDir, e);
  });
  const eventLog = new EventLog(join(outDir, 'events.jsonl'), machine.events, o.logLevel);

  const consoleLog: string[] = [];
  const snapshots: MemorySnapshot[] = [];
  const cpusAtCrash: CrashTruth['cpus'][] = [];
  // Every CPU's registers where it stopped: at the panic (or system reset), before the crashing
  // one goes on into firmware.
  let stopped: CrashTruth['cpus'] = [];
  const captures: RunResult['captures'] = [];
  const opalcores: RunResult['opalcores'] = [];
  // The crash-time snapshot: when the crashing kernel hands over to firmware with a dump armed.
  machine.events.on((e) => {
    const rtas = e.source === 'rtas' && e.kind === 'os-term' && e.detail.dumpRegistered;
    const opal = e.kind === 'opal-call' && e.detail.name === 'OPAL_CEC_REBOOT2' && platform.dumpTaken();
    if (e.source === 'kernel' && (e.kind === 'panic' || e.kind === 'nmi'))
      stopped = machine.cpus.map((c) => ({ cpu: c.id, pir: c.pir, regs: cloneRegisters(c.regs) }));
    if (!rtas && !opal) return;
    snapshots.push(machine.memory.snapshot());
    cpusAtCrash.push(stopped);
  });

  const maps: MemoryMap[] = [];
  let structures: AnnotatedStruct[] = [];
  const corrupted: string[] = [];
  const map = (k: Kernel, phase: string, note: string) =>
    maps.push(memoryMap(machine, k, phase, note, platform.reserved()));

  let kernel = platform.kernel(kcfg);
  kernel.boot(platform.boot(o.cmdline));
  map(
    kernel,
    'registered',
    kernel.fadump.registered
      ? 'the first kernel booted, reserved memory for fadump and registered it with firmware'
      : 'the first kernel booted; fadump is not registered',
  );
  hooks.afterBoot?.(machine, kernel);
  const hotplug = applyHotplug(o, platform, kernel);
  const cycles: CycleSummary[] = [];
  for (let cycle = 1; cycle <= o.cycles; cycle++) {
    const crashed = kernel;
    const expected = expectedRanges(machine, crashed);
    const holesFilled = belowBootMemTop(expected, crashed);
    const suffix = o.cycles > 1 ? ` ${cycle}` : '';
    map(
      crashed,
      `crash${suffix}`,
      crashed.fadump.registered
        ? 'at the crash: firmware will copy boot memory into the reserved area'
        : 'at the crash: fadump is not registered, so there will be no dump',
    );
    const crashT = machine.clock.now();
    const regs =
      o.crashKind === 'nmi' && cycle === 1
        ? crashed.systemReset(o.crashCpu)
        : crashed.panic(o.crashCpu, 'sysrq triggered crash');
    platform.completeDump();
    if (cycle === 1) {
      // The first dump's structures: damaged as the scenario says, then annotated for the report.
      const located = locateStructures(crashed, machine.memory, o, platform.injectableStructure());
      for (const c of platform.dumpTaken() ? (o.corrupt ?? []) : []) {
        const what = applyCorruption(c, located, machine.memory);
        corrupted.push(what);
        machine.events.emit('machine', 'corrupt', { what });
      }
      structures = annotateStructures(located, machine.memory);
    }
    consoleLog.push(
      `=== boot ${machine.bootCount}: ${cycle === 1 ? 'first kernel' : 'capture kernel, re-registered'} ===`,
      ...crashed.console,
    );
    const summary: CycleSummary = {
      cycle,
      crash: {
        cpu: o.crashCpu,
        kind: o.crashKind === 'nmi' && cycle === 1 ? 'nmi' : 'panic',
        at: String(crashT),
        nip: hex(regs.nip),
        lr: hex(regs.lr),
        r1: hex(regs.gpr[1]!),
        trap: hex(regs.trap),
        cpus: stopped.map(({ cpu, pir, regs: r }) => ({
          cpu,
          pir,
          nip: hex(r.nip),
          lr: hex(r.lr),
          r1: hex(r.gpr[1]!),
          trap: hex(r.trap),
        })),
        ranges: expected.map((r) => ({ start: hex(r.base), size: hex(r.size) })),
      },
      dump: noDump('not-triggered'),
      hotplug: cycle === 1 ? hotplug : NO_HOTPLUG,
      elfcorehdrOverflowBytes: crashed.fadump.elfcorehdrOverflowBytes,
      corrupted: cycle === 1 ? corrupted : [],
      verify: NO_VERIFY,
      console: { crashed: crashed.console, capture: [] },
    };
    cycles.push(summary);
    if (!platform.dumpTaken()) break;

    hooks.beforeCaptureBoot?.(machine, platform.hookFirmware, cycle);
    kernel = platform.kernel(ccfg);
    kernel.boot(platform.boot(o.cmdline));
    const f = kernel.fadump;
    summary.console.capture = kernel.console;
    map(
      kernel,
      `fadump kernel${suffix}`,
      f.outcome.status === 'captured'
        ? 'the fadump kernel booted in boot memory; the old contents are in the reserved area, /proc/vmcore describes them'
        : 'the fadump kernel booted and refused the dump',
    );
    if (f.outcome.status === 'captured' && f.elfcorehdrAddr !== undefined) {
      const name = cycle === 1 ? 'vmcore' : `vmcore.${cycle}`;
      const image = initVmcore(kernel, f.elfcorehdrAddr, ccfg.order);
      if (!image) {
        summary.dump = noDump('refused', VMCORE_NOT_INITIALIZED);
      } else {
        const format: DumpFormatName = 'elf';
        const path = join(outDir, name);
        const bytes = await DUMP_FORMATS[format].write(path, image);
        captures.push({ path, format });
        const truth: CrashTruth = {
          memory: snapshots[snapshots.length - 1]!,
          cpus: cpusAtCrash[cpusAtCrash.length - 1]!,
          crashingCpu: o.crashCpu,
          noteIds: platform.noteIds,
          ranges: expected,
          notDumpedByDesign: holesFilled,
          exclude: platform.reserved(),
          hints: presentRanges(image),
          vmcoreinfo: vmcoreinfoAt(snapshots[snapshots.length - 1]!, kcfg.order),
          notSavedForOthers: platform.notSavedForOthers,
        };
        const read = withDump(path, format, (r) => verifyDump(r, truth));
        summary.dump = { status: 'captured', vmcore: name, bytes, ...read.dump };
        summary.verify = read.verify;
        const opalcore = buildOpalCore(kernel);
        if (opalcore) {
          const ocName = cycle === 1 ? 'opalcore' : `opalcore.${cycle}`;
          await DUMP_FORMATS[format].write(join(outDir, ocName), opalcore);
          summary.dump.opalcore = ocName;
          opalcores.push({ path: join(outDir, ocName), format });
        }
      }
    } else if (f.outcome.status === 'refused') {
      summary.dump = noDump('refused', f.outcome.reason);
    }
    // What the kdump service does once the vmcore is saved (by default release, then register).
    for (const act of o.afterCapture ?? ['release', 'register']) {
      if (act === 'release') f.sysfsWrite('release_mem', '1');
      else f.sysfsWrite('registered', act === 'register' ? '1' : '0');
    }
    const after = o.afterCapture ?? ['release', 'register'];
    map(
      kernel,
      `after capture${suffix}`,
      `${summary.dump.status === 'captured' ? 'the vmcore is saved' : 'no vmcore'}; then ${after.length ? after.join(', ') : 'nothing'}: fadump is ${f.registered ? '' : 'not '}registered${after.includes('release') ? ', the dump memory released' : ''}`,
    );
    if (cycle === o.cycles)
      consoleLog.push(`=== boot ${machine.bootCount}: capture kernel ===`, ...kernel.console);
  }

  const first = cycles[0]!;
  const summary: Summary = {
    fadumpSim: 2,
    machine: {
      platform: o.platform,
      firmware: o.firmware,
      memory: fmtSize(o.memory),
      lmbSize: fmtSize(o.lmbSize),
      cpus: o.cpus,
      endian: o.endian,
      kernel: o.kernel,
      captureKernel: ccfg.generation,
      captureEndian: ccfg.order,
      seed: o.seed,
      bootMemRegions: o.bootMemRegions,
    },
    crash: first.crash,
    dump: first.dump,
    verify: first.verify,
    rtasCalls: platform.calls(),
    console: consoleLog,
    cycles,
  };
  await writeAtomic(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeAtomic(join(outDir, 'console.log'), `${consoleLog.join('\n')}\n`);
  const result = { summary, machine, snapshots, captures, opalcores, maps, structures };
  await writeReport(outDir, o, result);
  await eventLog.close();
  return result;
}

/** DIR/report.html; callers with expectations rewrite it with the failures named. */
export async function writeReport(
  outDir: string,
  o: RunOptions,
  r: RunResult,
  failed: string[] = [],
): Promise<void> {
  const title =
    o.title ??
    `${o.platform} ${o.kernel} kernel${(o.captureKernel ?? o.kernel) !== o.kernel ? `, ${o.captureKernel} fadump kernel` : ''}`;
  const html = renderReport({
    title,
    options: o,
    summary: r.summary,
    maps: r.maps,
    events: r.machine.events.events,
    structures: r.structures,
    failed,
  });
  await writeAtomic(join(outDir, 'report.html'), html);
}

/** The crashed kernel's VMCOREINFO note as it was at the crash. */
function vmcoreinfoAt(snapshot: MemorySnapshot, order: 'le' | 'be'): Record<string, string> | null {
  const keys = readVmcoreinfo(snapshot, order, SYMBOLS.vmcoreinfo_note);
  return keys ? Object.fromEntries(keys) : null;
}

/** Memory assigned at the crash, less the fadump reserved area: what the vmcore should hold. */
function expectedRanges(machine: Machine, k: Kernel): Range[] {
  const f = k.fadump;
  const cut = { base: f.reserveStart, size: f.registered ? f.areaSize() : 0 };
  return machine.blocks.assignedRanges().flatMap((r) => subtract(r, cut));
}

const VMCORE_NOT_INITIALIZED = 'Kdump: vmcore not initialized';

/**
 * vmcore_init in the fadump kernel: /proc/vmcore from the elfcorehdr, or, when its headers or notes
 * cannot be read from old memory, the kernel's warning and no /proc/vmcore.
 * ASSUMPTION: a read of old memory that is not there fails parse_crash_elf_headers ("Kdump: vmcore not initialized").
 */
function initVmcore(k: Kernel, elfcorehdr: number, order: 'le' | 'be'): DumpImage | undefined {
  try {
    return procVmcore(k.machine.memory, elfcorehdr, order);
  } catch (e) {
    if (!(e instanceof VmcoreInitError)) throw e;
    k.printk(KERN_WARNING, '', VMCORE_NOT_INITIALIZED);
    k.machine.events.emit('kernel', 'dump-refused', { reason: `vmcore_init: ${e.message}` });
    return undefined;
  }
}

/** Of `ranges`, what lies below boot_mem_top outside the boot-memory regions (added into holes). */
function belowBootMemTop(ranges: readonly Range[], k: Kernel): Range[] {
  const f = k.fadump;
  if (!f.registered || f.bootMemTop === 0) return [];
  let low = ranges.flatMap((r) =>
    subtract(r, { base: f.bootMemTop, size: Number.MAX_SAFE_INTEGER - f.bootMemTop }),
  );
  for (const b of f.bootMemRegions) low = low.flatMap((r) => subtract(r, b));
  return low;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  assertWritable(path);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw asOutputError(path, e);
  }
}
