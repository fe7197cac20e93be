// The properties `fadump-sim check` runs. Each pairs an arbitrary of scenario files with a check of
// one run of it; a failing case shrinks to a scenario file that `fadump-sim run` replays.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type fc from 'fast-check';
import { type DumpFormatName, withDump } from '../dump/formats.ts';
import { BACKING_PAGE } from '../emulator/physical-memory.ts';
import type { RunResult } from '../scenarios/run.ts';
import { type ScenarioFile, toBuilder } from '../scenarios/scenario-file.ts';
import { isExact, verifyProblems } from '../scenarios/verify.ts';
import * as arb from './arbitraries.ts';

export interface PropertyDef {
  name: string;
  description: string;
  arbitrary: fc.Arbitrary<ScenarioFile>;
  /**
   * Runs the scenario: `problem` says what went wrong when the property does not hold; `outcome`
   * names which allowed outcome it was (counted in reports). A property that needs files on disk
   * calls `dir()` for a directory of its own; the others run in memory.
   */
  check(s: ScenarioFile, dir: () => string): Promise<{ problem?: string; outcome: string }>;
  /** Expectations that make `fadump-sim run` of a counterexample fail the same way. */
  replay?: NonNullable<ScenarioFile['expect']>;
}

/** Every byte, register, CPU note and VMCOREINFO key right, none extra, none missing but what Linux leaves out by design. */
const exact = isExact;

/** The verdict on a dump that is not exact, in words. */
const wrong = (v: RunResult['summary']['verify']) => verifyProblems(v).join('; ') || JSON.stringify(v);

/**
 * Fields the fadump kernel uses without any check, as Linux 6.10 does: a damaged value there gives
 * a wrong vmcore in Linux too. Found by the mutation-safe campaign; reported apart, not failures.
 */
export const UNCHECKED_BY_LINUX: Readonly<Record<string, { fields: readonly string[]; where: string }>> = {
  'opal-metadata': {
    fields: ['region_cnt', 'rgn'],
    where: 'opal_fadump_get_config() copies the regions from the kernel metadata as they are',
  },
  'crash-info-header': {
    fields: ['regs', 'cpu_mask', 'crashing_cpu', 'vmcoreinfo_raddr', 'vmcoreinfo_size'],
    where:
      'rtas_fadump_build_cpu_notes() and opal_fadump_build_cpu_notes() copy fdh->regs into the crashing CPU note and follow fdh->crashing_cpu and fdh->cpu_mask as they are; fadump_populate_elfcorehdr() points the VMCOREINFO note at fdh->vmcoreinfo_raddr and vmcoreinfo_size as they are',
  },
  'regsave-header': {
    fields: ['num_cpus'],
    where:
      'rtas_fadump_build_cpu_notes() builds a note for as many CPUs as the register save area header says (a smaller count drops CPUs without a word)',
  },
  'regsave-entry': {
    fields: ['reg_id', 'reg_value'],
    where:
      'rtas_fadump_read_regs() takes each register value by its id as it is, skipping ids it does not know (only CPUSTRT and CPUEND are checked)',
  },
  'rtas-dump-section': {
    fields: ['source_address', 'destination_address'],
    where:
      'rtas_fadump_get_config() takes boot-memory addresses from ibm,kernel-dump; rtas_fadump_process() checks only error_flags and bytes_dumped',
  },
};

const isUnchecked = (st: ScenarioFile['steps'][number]) =>
  typeof st === 'object' &&
  'corrupt' in st &&
  UNCHECKED_BY_LINUX[st.corrupt.struct]?.fields.includes(st.corrupt.field) === true;

/**
 * The scenario with only its corruptions of fields Linux uses unchecked, when it has any and some
 * others (to tell whether those alone explain a wrong vmcore); itself when all are unchecked.
 */
function uncheckedOnly(s: ScenarioFile): ScenarioFile | undefined {
  const isCorrupt = (st: ScenarioFile['steps'][number]) => typeof st === 'object' && 'corrupt' in st;
  if (!s.steps.some(isUnchecked)) return undefined;
  return { ...s, steps: s.steps.filter((st) => !isCorrupt(st) || isUnchecked(st)) };
}

export const PROPERTIES: readonly PropertyDef[] = [
  {
    name: 'resilient-exact',
    description:
      'Linux 6.10 or later on both sides, any two releases: whatever the machine, memory events and crash point, the dump is captured and byte-exact (no byte wrong, none missing, none extra), and the udev rule never re-registered (hotplug_ready)',
    arbitrary: arb.resilientKernels().chain((kernels) => arb.scenario(kernels)),
    replay: { dump: 'captured', verify: 'exact' },
    async check(s) {
      const { summary } = await toBuilder(s).run(null);
      const c = summary.cycles[0]!;
      if (c.dump.status !== 'captured')
        return {
          outcome: c.dump.status,
          problem: `dump ${c.dump.status}${c.dump.reason ? `: ${c.dump.reason}` : ''}`,
        };
      if (!exact(c.verify)) return { outcome: 'wrong', problem: `vmcore not exact: ${wrong(c.verify)}` };
      if (c.hotplug.reRegistrations > 0 || c.hotplug.unregisteredNs > 0)
        return {
          outcome: 're-registered',
          problem: `the udev rule re-registered ${c.hotplug.reRegistrations} times (${c.hotplug.unregisteredNs} ns unregistered)`,
        };
      return { outcome: c.verify.notDumpedByDesignBytes ? 'exact, hole memory not dumped' : 'exact' };
    },
  },
  {
    name: 'mutation-safe',
    description:
      'a damaged crash info header, RTAS dump structure, register save area, OPAL metadata, MDST or MDRT gives a byte-exact dump or a refusal with the kernel message, never a silently wrong vmcore',
    arbitrary: arb.mutatedDump(),
    replay: { verify: 'exact' },
    async check(s) {
      const { summary } = await toBuilder(s).run(null);
      const c = summary.cycles[0]!;
      if (c.dump.status === 'refused') {
        const said = c.console.capture.some((l) => l.includes(c.dump.reason ?? '\0'));
        return said
          ? { outcome: 'refused' }
          : { outcome: 'refused', problem: `refused without the kernel saying why: ${c.dump.reason}` };
      }
      // The fadump kernel found no dump to offer (as Linux does when, for example, the OPAL
      // metadata lists no registered regions): no vmcore at all is not a wrong vmcore.
      if (c.dump.status !== 'captured') return { outcome: 'no dump' };
      if (exact(c.verify)) return { outcome: 'exact' };
      const alone = uncheckedOnly(s);
      if (alone) {
        const again = (await toBuilder(alone).run(null)).summary.cycles[0]!;
        if (again.dump.status === 'captured' && !exact(again.verify))
          return { outcome: 'wrong where Linux does not check' };
      }
      return { outcome: 'wrong', problem: `silently wrong vmcore: ${wrong(c.verify)}` };
    },
  },
  {
    name: 'deterministic',
    description:
      'the same scenario and seed give byte-identical vmcore, summary, console, event log and report',
    arbitrary: arb.generations().chain((g) => arb.scenario(g)),
    async check(s, made) {
      const dir = made();
      const a = await toBuilder(s).run(join(dir, 'a'));
      await toBuilder(s).run(join(dir, 'b'));
      for (const f of ['summary.json', 'console.log', 'events.jsonl', 'report.html']) {
        const x = readFileSync(join(dir, 'a', f), 'utf8').replaceAll(join(dir, 'a'), 'DIR');
        const y = readFileSync(join(dir, 'b', f), 'utf8').replaceAll(join(dir, 'b'), 'DIR');
        if (x !== y) return { outcome: 'differs', problem: `${f} differs between two runs` };
      }
      for (const cap of a.captures) {
        const name = cap.path.slice(join(dir, 'a').length + 1);
        const one = digest(cap.path, cap.format, a);
        const two = digest(join(dir, 'b', name), cap.format, a);
        if (one !== two) return { outcome: 'differs', problem: `${name} differs between two runs` };
      }
      return { outcome: 'identical' };
    },
  },
];

/**
 * A digest of a dump, read through its format's reader: the file's size and allocated blocks, its
 * headers and notes, and the memory it holds at every page present at the crash; two files with
 * the same digest under the same run are byte-identical (more allocation would show in the block
 * count).
 */
function digest(path: string, format: DumpFormatName, run: RunResult): string {
  const st = statSync(path);
  const h = createHash('sha256').update(`${st.size}/${st.blocks}`);
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(st.size, 16 * 2 ** 20));
    readSync(fd, head, 0, head.length, 0);
    h.update(head);
  } finally {
    closeSync(fd);
  }
  withDump(path, format, (r) => {
    const present = run.snapshots.flatMap((s) => s.presentPages());
    for (const l of r.contents.loads) {
      for (const p of new Set(present)) {
        const from = Math.max(l.paddr, p * BACKING_PAGE);
        const to = Math.min(l.paddr + l.size, (p + 1) * BACKING_PAGE);
        if (from < to) h.update(r.read(from, to - from).data);
      }
    }
  });
  return h.digest('hex');
}

export function propertyByName(name: string): PropertyDef | undefined {
  return PROPERTIES.find((p) => p.name === name);
}
