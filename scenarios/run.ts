// Runs a crash scenario end to end: the partition (partition.ts) boots the first kernel, runs its
// timeline and crashes; firmware takes the dump and reboots keeping memory; the fadump kernel offers
// /proc/vmcore, which a dump writer turns into a file; the verifier reads the file back against the
// crash-time truth; the kdump service's steps follow, and optionally another crash. The library
// entry point behind `fadump-sim run`.

import { mkdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryFile } from '../dump/dump-file.ts';
import { DUMP_FORMATS, type DumpFormatName, withDump } from '../dump/formats.ts';
import { writeVmlinux } from '../dump/vmlinux-writer.ts';
import { fmtSize, Machine } from '../emulator/machine.ts';
import { asOutputError, probeFileSize } from '../emulator/output-guard.ts';
import type { MemorySnapshot } from '../emulator/physical-memory.ts';
import type { PseriesFirmware } from '../firmware/rtas/pseries-firmware.ts';
import { type DumpImage, presentRanges } from '../kernel-model/dump-image.ts';
import type { Kernel, KernelConfig } from '../kernel-model/kernel.ts';
import { RTAS_FADUMP_MIN_BOOT_MEM } from '../kernel-model/rtas-fadump.ts';
import { EventLog } from './event-log.ts';
import { saveDump } from './kdump-service.ts';
import type { MemoryMap } from './memory-map.ts';
import { writeBytes, writeReport, writeText } from './outputs.ts';
import { type Crash, Partition } from './partition.ts';
import { machineConfig, validateRunOptions } from './run-checks.ts';
import { dumpLevelOf, type RunOptions } from './run-options.ts';
import { type AnnotatedStruct, annotateStructures, applyCorruption, locateStructures } from './structures.ts';
import { bytesText, type CycleSummary, NO_HOTPLUG, NO_VERIFY, noDump, type Summary } from './summary.ts';
import { type CrashTruth, verifyDump } from './verify.ts';

export { stepsOf } from './hotplug-timeline.ts';
export { writeReport } from './outputs.ts';
export { validateRunOptions } from './run-checks.ts';
export {
  type AfterCapture,
  DEFAULT_RUN,
  type HotplugPlan,
  type MemoryStep,
  type RunOptions,
} from './run-options.ts';
export type { CycleSummary, DumpStatus, HotplugSummary, Summary } from './summary.ts';

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

export interface RunResult {
  summary: Summary;
  machine: Machine;
  /** Crash-time memory of each cycle. */
  snapshots: MemorySnapshot[];
  /** Each vmcore written: its path (its name, in memory) and format, and its file when in memory. */
  captures: Written[];
  /** Each OPAL core written (PowerNV). */
  opalcores: Written[];
  /** The memory map at each phase: registered, at each crash, in each fadump kernel, after release. */
  maps: MemoryMap[];
  /** The first crash's structures, annotated from their field tables (after any corruption). */
  structures: AnnotatedStruct[];
}

/** A dump the run wrote: on disk at `path`, or in memory as `file` (`path` its name). */
export interface Written {
  path: string;
  format: DumpFormatName;
  file?: MemoryFile;
  /**
   * In memory, what the files on disk beside the vmcore would hold: /proc/vmcore as the fadump
   * kernel offered it (to save again in another form), the crashed kernel's log as vmcore-dmesg
   * saves it, and its vmlinux.
   */
  beside?: { image: DumpImage; dmesg: string; vmlinux: Uint8Array };
}

export interface RunHooks {
  /** Called once the first kernel has booted and registered, before any memory event. */
  afterBoot?: (machine: Machine, kernel: Kernel) => void;
  /** Called after firmware took the dump and before the capture kernel boots (tests corrupt memory here); `firmware` is set on pSeries. */
  beforeCaptureBoot?: (machine: Machine, firmware: PseriesFirmware | undefined, cycle: number) => void;
}

/**
 * Runs the scenario, writing `vmcore` (and `vmcore.N` for later cycles), `summary.json`,
 * `console.log`, `events.jsonl` and `report.html` into outDir. Every file is written under a
 * temporary name and renamed. With outDir null nothing is written to disk: the dumps are written to
 * files in memory and verified from them (RunResult.captures), and the text outputs are not made.
 */
export async function runScenario(
  o: RunOptions,
  outDir: string | null,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const personality = validateRunOptions(o);
  const machine = new Machine(machineConfig(o));
  const kcfg: KernelConfig = { order: o.endian, kernel: o.kernel, notePids: o.notePids };
  const ccfg: KernelConfig = {
    order: o.captureEndian ?? o.endian,
    kernel: o.captureKernel ?? o.kernel,
    notePids: o.notePids,
  };
  const onDisk = outDir !== null;
  const out = (name: string) => join(outDir ?? '', name);
  if (onDisk)
    await mkdir(outDir, { recursive: true }).catch((e) => {
      throw asOutputError(outDir, e);
    });
  // An ELF vmcore is a sparse file as large as the memory it describes: at most every LMB slot less
  // the reserved area (at least the 320 MiB of boot memory fadump always reserves), plus headers well
  // under 64 MiB. The file system must take a file that large, which is known now rather than after
  // the work (ext4 stops at 16 TiB). A filtered ELF or a kdump-compressed file holds only the pages
  // it keeps.
  if (onDisk && (o.dump?.format ?? 'elf') === 'elf' && dumpLevelOf(o) === 0) {
    const largest = machine.blocks.blocks.length * o.lmbSize - RTAS_FADUMP_MIN_BOOT_MEM + 64 * 2 ** 20;
    await probeFileSize(
      out('vmcore'),
      largest,
      `a vmcore of up to ${bytesText(largest)} does not fit here; --dump-format kdump or a --dump-level writes only the pages it keeps`,
    );
  }
  const eventLog = onDisk ? new EventLog(out('events.jsonl'), machine.events, o.logLevel) : undefined;
  const partition = new Partition(machine, personality, o);
  const platform = partition.platform;

  const consoleLog: string[] = [];
  const snapshots: MemorySnapshot[] = [];
  const captures: RunResult['captures'] = [];
  const opalcores: RunResult['opalcores'] = [];
  let structures: AnnotatedStruct[] = [];
  const corrupted: string[] = [];

  const firstKernel = partition.bootFirst(kcfg);
  hooks.afterBoot?.(machine, firstKernel);
  const timeline = partition.timeline();
  const cycles: CycleSummary[] = [];
  for (let cycle = 1; cycle <= o.cycles; cycle++) {
    const crashed = partition.kernel;
    const suffix = o.cycles > 1 ? ` ${cycle}` : '';
    const kind = o.crashKind === 'nmi' && cycle === 1 ? 'nmi' : 'panic';
    // What the kernel complained of before the crash (the panic's own lines are the crash).
    const complaints = [...crashed.complaints];
    const crash = partition.crash(kind, o.crashCpu, `crash${suffix}`);
    if (crash.taken) snapshots.push(crash.taken.memory);
    if (cycle === 1) {
      // The first dump's structures: damaged as the scenario says, then annotated for the report.
      const located = locateStructures(crashed, machine.memory, o, platform.injectableStructure());
      const damage = crash.taken ? (o.corrupt ?? []) : [];
      // As they were before the damage, for the report to show what the fadump kernel expected.
      const before = damage.length ? annotateStructures(located, machine.memory) : [];
      for (const c of damage) {
        const what = applyCorruption(c, located, machine.memory);
        corrupted.push(what);
        machine.events.emit('machine', 'corrupt', { what });
      }
      structures = annotateStructures(located, machine.memory).map((st, i) =>
        before[i] ? Object.assign(st, { before: before[i] }) : st,
      );
    }
    consoleLog.push(
      `=== boot ${machine.bootCount}: ${cycle === 1 ? 'first kernel' : 'capture kernel, re-registered'} ===`,
      ...crashed.console,
    );
    const summary: CycleSummary = {
      cycle,
      crash: crashSummary(o.crashCpu, kind, crash),
      dump: noDump('not-triggered', crash.notTaken),
      hotplug: cycle === 1 ? timeline.summary : NO_HOTPLUG,
      elfcorehdrOverflowBytes: crashed.fadump.elfcorehdrOverflowBytes,
      corrupted: cycle === 1 ? corrupted : [],
      verify: NO_VERIFY,
      console: { crashed: crashed.console, capture: [] },
      // What the first kernel complained of and the timeline could not do; the fadump kernel's
      // complaints follow when it has booted. Later cycles' crashed kernels were earlier ones'
      // fadump kernels, whose complaints are already there.
      warnings: cycle === 1 ? [...timeline.warnings, ...complaints] : [],
    };
    cycles.push(summary);
    if (!crash.taken) break;

    hooks.beforeCaptureBoot?.(machine, platform.hookFirmware, cycle);
    const capture = partition.bootCapture(ccfg, `fadump kernel${suffix}`);
    summary.console.capture = partition.kernel.console;
    summary.warnings.push(...partition.kernel.complaints);
    if (capture.status === 'refused') summary.dump = noDump('refused', capture.reason);
    if (capture.status === 'captured') {
      const name = cycle === 1 ? 'vmcore' : `vmcore.${cycle}`;
      const path = onDisk ? out(name) : name;
      const target = onDisk ? path : new MemoryFile(name);
      const saved = await saveDump(target, capture.image, o.dump?.format ?? 'elf', dumpLevelOf(o));
      if (saved.warning) summary.warnings.push(saved.warning);
      const { format, bytes } = saved;
      const written: Written = { path, format };
      captures.push(written);
      const truth: CrashTruth = {
        memory: crash.taken.memory,
        cpus: crash.cpus,
        crashingCpu: o.crashCpu,
        noteIds: platform.noteIds,
        ranges: crash.expected,
        notDumpedByDesign: crash.notDumpedByDesign,
        beyondLimit: crash.beyondLimit,
        exclude: platform.reserved(),
        hints: presentRanges(capture.image),
        vmcoreinfo: crash.taken.vmcoreinfo,
        order: crashed.order,
        blockSize: o.lmbSize,
        notSavedForOthers: platform.notSavedForOthers,
      };
      const read = withDump(target, format, (r) => ({ ...verifyDump(r, truth), dmesg: r.contents.dmesg }));
      // What the kdump service saves first: the crashed kernel's log, read from the dump.
      const dmesgName = cycle === 1 ? 'vmcore-dmesg.txt' : `vmcore-dmesg.${cycle}.txt`;
      const dmesg = read.dmesg.length ? `${read.dmesg.join('\n')}\n` : '';
      if (onDisk) await writeText(out(dmesgName), dmesg);
      // The crashed kernel's vmlinux, with the symbols and DWARF crash and gdb need beside a vmcore.
      const vmlinuxName = cycle === 1 ? 'vmlinux' : `vmlinux.${cycle}`;
      if (onDisk) await writeVmlinuxBeside(out(vmlinuxName), path, crashed);
      else
        Object.assign(written, {
          file: target,
          beside: { image: capture.image, dmesg, vmlinux: vmlinuxOf(crashed) },
        });
      summary.dump = {
        status: 'captured',
        vmcore: name,
        bytes,
        dmesg: dmesgName,
        vmlinux: vmlinuxName,
        ...read.dump,
      };
      summary.verify = read.verify;
      if (capture.opalcore) {
        const ocName = cycle === 1 ? 'opalcore' : `opalcore.${cycle}`;
        // /sys/firmware/opal/mpipl/core is saved as it is: an ELF core, never filtered.
        const oc = onDisk ? out(ocName) : new MemoryFile(ocName);
        await DUMP_FORMATS.elf.write(oc, capture.opalcore, { level: 0 });
        summary.dump.opalcore = ocName;
        opalcores.push(
          oc instanceof MemoryFile ? { path: ocName, format: 'elf', file: oc } : { path: oc, format: 'elf' },
        );
      }
    }
    partition.afterCapture(
      o.afterCapture ?? ['release', 'register'],
      summary.dump.status === 'captured',
      `after capture${suffix}`,
    );
    if (cycle === o.cycles)
      consoleLog.push(`=== boot ${machine.bootCount}: capture kernel ===`, ...partition.kernel.console);
  }

  // Each warning once, and not the reason the dump was refused or not taken, which is said already.
  for (const c of cycles)
    c.warnings = [...new Set(c.warnings)].filter((w) => !c.dump.reason || !w.endsWith(c.dump.reason));
  // The device tree each boot received, as the kernel found it in memory.
  const dtbNames = partition.dtbs.map((_, i) => `boot${i + 1}.dtb`);
  if (onDisk) for (const [i, name] of dtbNames.entries()) await writeBytes(out(name), partition.dtbs[i]!);
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
      captureKernel: ccfg.kernel,
      captureEndian: ccfg.order,
      seed: o.seed,
      bootMemRegions: o.bootMemRegions,
    },
    crash: first.crash,
    dump: first.dump,
    verify: first.verify,
    warnings: first.warnings,
    rtasCalls: platform.calls(),
    console: consoleLog,
    cycles,
    // In memory, the dumps alone were made (as files in memory).
    outputs: onDisk
      ? [
          ...cycles.flatMap((c) =>
            [c.dump.vmcore, c.dump.dmesg, c.dump.vmlinux, c.dump.opalcore].filter((n): n is string => !!n),
          ),
          ...dtbNames,
          'summary.json',
          'console.log',
          'events.jsonl',
          'report.html',
        ]
      : cycles.flatMap((c) => [c.dump.vmcore, c.dump.opalcore].filter((n): n is string => !!n)),
  };
  const maps = partition.maps;
  const result = { summary, machine, snapshots, captures, opalcores, maps, structures };
  if (onDisk) {
    await writeText(out('summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await writeText(out('console.log'), `${consoleLog.join('\n')}\n`);
    await writeReport(outDir, o, result);
  }
  await eventLog?.close();
  return result;
}

/**
 * Writes the crashed kernel's vmlinux, dated as its vmcore: an image is never newer than its dump
 * (gdb warns of an executable newer than the core file).
 */
async function writeVmlinuxBeside(path: string, vmcore: string, k: Kernel): Promise<void> {
  await writeBytes(path, vmlinuxOf(k));
  const { mtime } = await stat(vmcore);
  await utimes(path, mtime, mtime);
}

/** The kernel's vmlinux (made once per release and byte order). */
function vmlinuxOf(k: Kernel): Uint8Array {
  return writeVmlinux({ order: k.order, osrelease: k.osrelease });
}

/** The summary's ground-truth side of a crash. */
function crashSummary(cpu: number, kind: 'panic' | 'nmi', c: Crash): CycleSummary['crash'] {
  return {
    cpu,
    kind,
    at: String(c.at),
    nip: hex(c.regs.nip),
    lr: hex(c.regs.lr),
    r1: hex(c.regs.gpr[1]!),
    trap: hex(c.regs.trap),
    cpus: c.cpus.map(({ cpu, pir, regs: r }) => ({
      cpu,
      pir,
      nip: hex(r.nip),
      lr: hex(r.lr),
      r1: hex(r.gpr[1]!),
      trap: hex(r.trap),
    })),
    ranges: c.expected.map((r) => ({ start: hex(r.base), size: hex(r.size) })),
  };
}
