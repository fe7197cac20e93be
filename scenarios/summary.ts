// summary.json: what a run says, cycle by cycle — `crash` (what happened, from the crash-time
// snapshot) and `dump` (what the written files hold, read back from them), the verdict comparing
// them, the memory events and both kernels' consoles.

import { PAGE_SIZE } from '../kernel-model/symbols.ts';
import type { BlockPages, DumpSide, Verification } from './verify.ts';

export type DumpStatus = 'captured' | 'refused' | 'not-triggered';

export interface CycleSummary {
  cycle: number;
  /** What happened, from the crash-time snapshot. */
  crash: {
    cpu: number;
    kind: 'panic' | 'nmi';
    /** Simulated time of the crash, ns (a decimal string). */
    at: string;
    nip: string;
    lr: string;
    r1: string;
    /** The interrupt the crashing CPU was in: 0x300 for the panic path, 0x100 for a system reset. */
    trap: string;
    /** Every CPU thread's registers at the crash. */
    cpus: { cpu: number; pir: number; nip: string; lr: string; r1: string; trap: string }[];
    /** Memory assigned at the crash, less the fadump reserved area: what a dump should hold. */
    ranges: { start: string; size: string }[];
  };
  /** What the written files hold, read back from them (empty when there is no dump). */
  dump: DumpSide & {
    status: DumpStatus;
    vmcore: string | null;
    reason?: string;
    bytes?: number;
    opalcore?: string;
    /** The crashed kernel's log read from the dump, as vmcore-dmesg prints it (the kdump service's vmcore-dmesg.txt). */
    dmesg?: string;
    /** The crashed kernel's vmlinux (symbols and DWARF), for crash and gdb. */
    vmlinux?: string;
  };
  hotplug: HotplugSummary;
  elfcorehdrOverflowBytes: number;
  /** What `corrupt` did to the dump before the fadump kernel booted (first cycle). */
  corrupted: string[];
  /** The dump compared with the crash; null when there is no dump. */
  verify: { [K in keyof Verification]: Verification[K] | null };
  console: { crashed: string[]; capture: string[] };
  /**
   * What did not go as asked without stopping the run: lines the kernels printed at KERN_WARNING or
   * worse (without timestamps), and requests the timeline could not carry out.
   */
  warnings: string[];
}

export interface HotplugSummary {
  added: number;
  removed: number;
  offlined: number;
  uevents: number;
  reRegistrations: number;
  rtasCalls: number;
  /** Simulated time fadump was unregistered while the udev rule re-registered. */
  unregisteredNs: number;
  /** Whether the crash came in the middle of handling an event (crashAtEvent). */
  crashedInEvent: boolean;
  /** Simulated time from the first memory event until udev had handled them all. */
  settleNs: number;
}

export const NO_HOTPLUG: HotplugSummary = {
  added: 0,
  removed: 0,
  offlined: 0,
  uevents: 0,
  reRegistrations: 0,
  rtasCalls: 0,
  unregisteredNs: 0,
  crashedInEvent: false,
  settleNs: 0,
};

export interface Summary {
  fadumpSim: 2;
  machine: {
    platform: string;
    firmware: string;
    memory: string;
    lmbSize: string;
    cpus: number;
    endian: string;
    kernel: string;
    captureKernel: string;
    captureEndian: string;
    seed: number;
    bootMemRegions: number;
  };
  crash: CycleSummary['crash'];
  dump: CycleSummary['dump'];
  verify: CycleSummary['verify'];
  warnings: CycleSummary['warnings'];
  rtasCalls: number;
  console: string[];
  cycles: CycleSummary[];
  /** Every file the run wrote in its directory (run in memory: the dumps, as files in memory). */
  outputs: string[];
}

export const noDump = (status: DumpStatus, reason?: string): CycleSummary['dump'] => ({
  status,
  ...(reason !== undefined && { reason }),
  vmcore: null,
  format: 'elf',
  crash: null,
  cpus: [],
  loads: [],
  vmcoreinfo: null,
  level: 0,
  pages: null,
});
export const NO_VERIFY: CycleSummary['verify'] = {
  mismatchedBytes: null,
  missingBytes: null,
  extraBytes: null,
  notDumpedByDesignBytes: null,
  beyondLimitBytes: null,
  registerMismatches: null,
  registersNotSavedByDesign: null,
  missingCpus: null,
  extraCpus: null,
  vmcoreinfoMismatch: null,
  excludablePages: null,
  wronglyLeftOutPages: null,
};

/** What a cycle's outcome says to people, read from its summary. */
export interface Verdict {
  /** Captured, and every byte, register, CPU note and VMCOREINFO key as at the crash. */
  ok: boolean;
  /** `captured`, `refused: why` or `not taken: why`. */
  dump: string;
  /** What the dump holds against the crash, one line each (empty without a dump). */
  verify: string[];
  warnings: string[];
}

/** A byte count for people: `536870912 bytes (512 MiB)`. */
export function bytesText(n: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  const [u, name] = units.find(([u]) => n >= u) ?? [1, ''];
  if (u === 1) return `${n} byte${n === 1 ? '' : 's'}`;
  const v = n / u;
  return `${n} bytes (${Number.isInteger(v) ? v : v.toFixed(1)} ${name})`;
}

export function verdict(c: CycleSummary): Verdict {
  const d = c.dump;
  const dump =
    d.status === 'captured'
      ? 'captured'
      : `${d.status === 'refused' ? 'refused' : 'not taken'}${d.reason ? `: ${d.reason}` : ''}`;
  if (d.status !== 'captured') return { ok: false, dump, verify: [], warnings: c.warnings };
  const v = c.verify;
  const byDesign = v.notDumpedByDesignBytes ?? 0;
  const missing = (v.missingBytes ?? 0) - byDesign;
  const lines: string[] = [];
  if (missing > 0)
    lines.push(`INCOMPLETE: ${bytesText(missing)} of the memory assigned at the crash is not in the dump`);
  if (v.extraBytes) lines.push(`${bytesText(v.extraBytes)} in the dump was not memory assigned at the crash`);
  if (v.mismatchedBytes) lines.push(`${bytesText(v.mismatchedBytes)} differ from memory at the crash`);
  for (const m of v.registerMismatches ?? [])
    lines.push(`CPU ${m.cpu} ${m.register}: the dump has ${m.got}, the CPU had ${m.expected}`);
  if (v.missingCpus?.length) lines.push(`no note for CPU ${v.missingCpus.join(', ')}`);
  if (v.extraCpus?.length)
    lines.push(`notes for CPUs that did not exist or twice: ${v.extraCpus.join(', ')}`);
  if (v.vmcoreinfoMismatch?.length) lines.push(`VMCOREINFO differs: ${v.vmcoreinfoMismatch.join(', ')}`);
  const level = d.level === null ? 'any dump level' : `dump level ${d.level}`;
  if (v.wronglyLeftOutPages)
    lines.push(`${v.wronglyLeftOutPages} pages left out that ${level} does not allow`);
  const ok = lines.length === 0;
  if (ok) {
    const held = c.crash.ranges.reduce((n, r) => n + Number(r.size), 0) - byDesign;
    const p = d.pages;
    // A kdump file holds its zero pages once; an ELF (makedumpfile -E) leaves them out.
    const zeroOut = d.format === 'elf' && p ? p.zero : 0;
    const leftOut = p ? p.cache + p.cachePrivate + p.user + p.free + p.hwpoison + p.offline + zeroOut : 0;
    lines.push(
      leftOut && p
        ? `exact: ${p.remaining + p.zero - zeroOut} pages kept of ${bytesText(held)} of memory, ${leftOut} left out as ${d.level === null ? 'a dump level (the ELF does not record which)' : level} allows; ${d.cpus.length} CPU notes and VMCOREINFO as they were at the crash`
        : `exact: ${bytesText(held)} of memory, ${d.cpus.length} CPU notes and VMCOREINFO as they were at the crash`,
    );
  }
  const beyond = v.beyondLimitBytes ?? 0;
  if (byDesign - beyond > 0)
    lines.push(
      `${bytesText(byDesign - beyond)} added into a hole below boot_mem_top is not dumped, by design (Linux dumps boot memory and what lies above boot_mem_top)`,
    );
  if (beyond > 0)
    lines.push(
      `${bytesText(beyond)} above the crashed kernel's mem= limit is not dumped, by design (that kernel never had it)`,
    );
  if (c.elfcorehdrOverflowBytes > 0)
    lines.push(
      `the first kernel wrote its elfcorehdr ${bytesText(c.elfcorehdrOverflowBytes)} past the end of the reserved area, over memory it does not own (before 6.10 nothing checks)`,
    );
  return { ok, dump, verify: lines, warnings: c.warnings };
}

/** Rows of the per-block page table shown to people; the rest are summed up in one line. */
const MAX_BLOCK_ROWS = 64;

export interface PageTable {
  /** The dump's size on disk against the memory it is a dump of. */
  size: string;
  head: string[];
  /** Runs of memory blocks with the same counts, then a row of totals. */
  rows: string[][];
  /** Runs not shown (past the first MAX_BLOCK_ROWS). */
  more: number;
}

/**
 * What the dump holds of each memory block, for the report and `explain`: pages kept and left out
 * by why, read from the file (summary.dump.pages); undefined without a dump or its page counts.
 */
export function pageTable(c: CycleSummary): PageTable | undefined {
  const d = c.dump;
  const p = d.pages;
  if (d.status !== 'captured' || !p) return undefined;
  const memory = c.crash.ranges.reduce((n, r) => n + Number(r.size), 0);
  const bytes = d.bytes ?? 0;
  const share = memory ? `${((100 * bytes) / memory).toPrecision(2)}%` : '-';
  const how =
    d.format === 'kdump'
      ? `kdump-compressed at dump level ${d.level}`
      : d.level === 0
        ? 'ELF, unfiltered'
        : 'ELF, filtered (makedumpfile -E)';
  const row = (blocks: string, start: string, x: Omit<BlockPages, 'start' | 'blocks'>) => [
    blocks,
    start,
    String(x.described),
    String(x.kept),
    String(x.zero),
    String(x.cache),
    String(x.cachePrivate),
    String(x.user),
    String(x.free),
    String(x.offline),
    String(x.hwpoison),
  ];
  const total = {
    described: p.remaining + p.zero + p.cache + p.cachePrivate + p.user + p.free + p.offline + p.hwpoison,
    kept: p.remaining + p.zero,
    zero: p.zero,
    cache: p.cache,
    cachePrivate: p.cachePrivate,
    user: p.user,
    free: p.free,
    offline: p.offline,
    hwpoison: p.hwpoison,
  };
  return {
    size: `${d.vmcore}: ${bytesText(bytes)} on disk for ${bytesText(memory)} of memory (${share}), ${how}`,
    head: [
      'blocks',
      'from',
      'pages',
      'kept',
      'zero',
      'cache',
      'private',
      'user',
      'free',
      'offline',
      'hwpoison',
    ],
    rows: [
      ...p.byBlock.slice(0, MAX_BLOCK_ROWS).map((b) => row(`${b.blocks} ×`, b.start, b)),
      row(`${p.byBlock.reduce((n, b) => n + b.blocks, 0)}`, 'all', total),
    ],
    more: Math.max(0, p.byBlock.length - MAX_BLOCK_ROWS),
  };
}

/** The page table as aligned text lines. */
export function pageTableText(t: PageTable): string[] {
  const all = [t.head, ...t.rows];
  const width = t.head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `  ${r.map((v, i) => (i === 1 ? v.padEnd(width[i]!) : v.padStart(width[i]!))).join('  ')}`;
  return [
    t.size,
    `pages (${PAGE_SIZE / 1024} KiB) per memory block; a kdump file keeps its zero pages (stored once), an ELF leaves them out; the rest were left out as the dump level allows:`,
    line(t.head),
    ...t.rows.slice(0, -1).map(line),
    ...(t.more ? [`  … ${t.more} more runs of blocks`] : []),
    line(t.rows[t.rows.length - 1]!),
  ];
}
