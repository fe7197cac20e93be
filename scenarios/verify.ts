// Verification: what a written dump holds, read back through its format's reader, against what
// happened, taken from the crash-time snapshot (memory, every CPU's registers, VMCOREINFO). The
// dump side of summary.json and every verdict come from here, never from the model's own objects.

import type { DumpReader } from '../dump/dump-reader.ts';
import { type PfnRange, pfnCount, pfnsOf, subtractPfns } from '../dump/image-memory.ts';
import {
  dumpFilterMemory,
  filterPages,
  LEFT_OUT_KINDS,
  noPages,
  type PageCounts,
  PageFilterError,
  type PageKind,
  snapshotFilterMemory,
} from '../dump/page-filter.ts';
import type { Registers } from '../emulator/cpu-thread.ts';
import type { Range } from '../emulator/memory-blocks.ts';
import { BACKING_PAGE, isZeroBytes, type MemoryView } from '../emulator/physical-memory.ts';
import { bytesNotIn, uncovered, without } from '../emulator/ranges.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import type { PtRegs } from '../kernel-model/elf.ts';
import { PAGE_SIZE } from '../kernel-model/symbols.ts';

/** What happened, from the crash-time snapshot. */
export interface CrashTruth {
  memory: MemoryView;
  /** Every CPU thread at the crash: logical id, PIR, registers. */
  cpus: { cpu: number; pir: number; regs: Registers }[];
  crashingCpu: number;
  /** How the kernel numbers CPUs in its notes: logical ids (pSeries) or PIRs (PowerNV). */
  noteIds: 'logical' | 'pir';
  /** Memory assigned at the crash, less the fadump reserved area: what the dump should hold. */
  ranges: Range[];
  /**
   * Of ranges, memory Linux leaves out by design: added into a boot-memory hole, or beyond the
   * crashed kernel's mem= limit (`beyondLimit`).
   */
  notDumpedByDesign: Range[];
  /** Of ranges, memory above the crashed kernel's mem= limit: that kernel never had it. */
  beyondLimit: Range[];
  /** Firmware-owned memory the dump boot legitimately rewrote: not compared. */
  exclude: readonly Range[];
  /** Where the file may hold data besides the snapshot's pages (see compareMemory). */
  hints: readonly Range[];
  /** The crashed kernel's VMCOREINFO as it was at the crash, or null when it had none. */
  vmcoreinfo: Record<string, string> | null;
  /** The crashed kernel's byte order. */
  order: ByteOrder;
  /** The memory block size (LMB size): the unit the dump's pages are tabled by. */
  blockSize: number;
  /** pt_regs words the firmware does not save for the CPUs other than the crashing one. */
  notSavedForOthers: readonly (keyof PtRegs)[];
}

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

/**
 * pt_regs words no firmware save area holds (RTAS REGSAVE, HDAT thread records): Linux leaves them
 * 0 in the notes of every CPU but the crashing one (rtas_fadump_read_regs, opal_fadump_read_regs).
 */
export const NOT_IN_SAVE_AREAS: readonly (keyof PtRegs)[] = ['orig_gpr3', 'softe', 'trap'];

export interface DumpCpu {
  /** Logical CPU number: from pr_pid when the notes carry ids, else from the note's position. */
  cpu: number;
  pid: number;
  nip: string;
  msr: string;
  lr: string;
  ctr: string;
  r1: string;
  trap: string;
}

/** What the dump file holds, read back from it. */
export interface DumpSide {
  format: string;
  /** The CPU whose note holds the registers crash_fadump saved (the only one with pt_regs.trap set), and its registers. */
  crash: { cpu: number; kind: 'panic' | 'nmi'; nip: string; lr: string; r1: string; trap: string } | null;
  cpus: DumpCpu[];
  loads: { start: string; size: string }[];
  vmcoreinfo: Record<string, string> | null;
  /**
   * makedumpfile's -d the file was written at (0: an unfiltered copy); null when the file does not
   * record it (an ELF from makedumpfile -E).
   */
  level: number | null;
  /**
   * Pages as makedumpfile's report counts them, from the file: those its dump level left out by
   * what the struct pages it holds say of each, the zero pages stored once, `remaining` (the pages
   * it holds otherwise) and `total` (max_mapnr). Null when the file's struct pages cannot be read.
   */
  pages: DumpPages | null;
}

export interface DumpPages extends PageCounts {
  remaining: number;
  total: number;
  /** The memory block size the table below counts by (the LMB size on pSeries). */
  blockSize: number;
  /** Per memory block the file describes: runs of consecutive blocks with the same counts. */
  byBlock: BlockPages[];
}

/** Pages of each of a run of memory blocks: described, kept (zero pages among them), left out by why. */
export interface BlockPages extends PageCounts {
  /** Physical address of the first block. */
  start: string;
  blocks: number;
  /** Page frames the file describes in each block, and keeps. */
  described: number;
  kept: number;
}

export interface RegisterMismatch {
  cpu: number;
  register: string;
  expected: string;
  got: string;
}

export interface Verification {
  /** Bytes compared with crash-time memory that differ (firmware-reserved memory is not compared). */
  mismatchedBytes: number;
  /** Memory assigned at the crash (outside the reserved area) that the dump does not hold. */
  missingBytes: number;
  /** Bytes the dump lists that were not assigned memory at the crash. */
  extraBytes: number;
  /**
   * Of missingBytes, those Linux leaves out by design: memory added after registration into a
   * hole below boot_mem_top is neither boot memory nor above boot_mem_top, so it is not dumped
   * (fadump_populate_elfcorehdr); and memory above the crashed kernel's mem= limit, which it never
   * had (memblock_enforce_memory_limit).
   */
  notDumpedByDesignBytes: number;
  /** Of notDumpedByDesignBytes, those above the crashed kernel's mem= limit. */
  beyondLimitBytes: number;
  /** Registers a CPU note holds that differ from the CPU's at the crash (the first 100). */
  registerMismatches: RegisterMismatch[];
  /** Registers the firmware does not save (no field in its save area, or a named quirk), held as 0. */
  registersNotSavedByDesign: number;
  /** CPUs at the crash with no note in the dump. */
  missingCpus: number[];
  /** Notes for CPUs that did not exist, or a second note for one CPU. */
  extraCpus: number[];
  /** VMCOREINFO keys whose value differs from the crash-time note, is missing or was added. */
  vmcoreinfoMismatch: string[];
  /**
   * Pages the crash-time struct pages say the file's dump level may leave out, by why (the page
   * filter run over the crash-time snapshot): what a right dump leaves out.
   */
  excludablePages: PageCounts | null;
  /** Pages the file left out that were not excludable at its dump level at the crash. */
  wronglyLeftOutPages: number;
}

const MAX_LISTED = 100;

/**
 * The registers the verifier compares, in pt_regs terms, from the CPU's architected state. Written
 * again on purpose beside the kernel's ptRegsFromRegisters (kernel-model/elf.ts): a wrong mapping
 * there would otherwise be read back by the same mistake.
 */
function truthPtRegs(r: Registers): Omit<PtRegs, 'result' | 'ppr' | 'exit_result' | 'kuap' | 'iamr'> {
  return {
    gpr: r.gpr,
    nip: r.nip,
    msr: r.msr,
    orig_gpr3: r.orig_gpr3,
    ctr: r.ctr,
    link: r.lr,
    xer: r.xer,
    ccr: r.cr,
    softe: r.softe,
    trap: r.trap,
    dar: r.dar,
    dsisr: r.dsisr,
  };
}

/** The dump side: the notes mapped to CPUs, the crashing CPU, the loads and VMCOREINFO. */
export function readDumpSide(reader: DumpReader, truth: CrashTruth): { side: DumpSide; ids: number[] } {
  const c = reader.contents;
  const byKernelId = new Map(truth.cpus.map((x) => [truth.noteIds === 'pir' ? x.pir : x.cpu, x.cpu]));
  const ordered = [...truth.cpus].sort((a, b) => a.cpu - b.cpu);
  // Notes carry ids only with --note-pids; otherwise the i-th note is the i-th CPU, as crash maps them.
  const ids = c.cpus.map((n, i) =>
    n.pid !== 0 ? (byKernelId.get(n.pid - 1) ?? n.pid - 1) : (ordered[i]?.cpu ?? i),
  );
  const cpus: DumpCpu[] = c.cpus.map((n, i) => ({
    cpu: ids[i]!,
    pid: n.pid,
    nip: hex(n.regs.nip),
    msr: hex(n.regs.msr),
    lr: hex(n.regs.link),
    ctr: hex(n.regs.ctr),
    r1: hex(n.regs.gpr[1]!),
    trap: hex(n.regs.trap),
  }));
  // Firmware save areas have no trap: only the note built from crash_fadump's pt_regs has one.
  const withTrap = cpus.filter((x) => BigInt(x.trap) !== 0n);
  const crashing = withTrap.length === 1 ? withTrap[0]! : undefined;
  return {
    ids,
    side: {
      format: c.format,
      crash: crashing
        ? {
            cpu: crashing.cpu,
            kind: BigInt(crashing.trap) === 0x100n ? 'nmi' : 'panic',
            nip: crashing.nip,
            lr: crashing.lr,
            r1: crashing.r1,
            trap: crashing.trap,
          }
        : null,
      cpus,
      loads: c.loads.map((l) => ({ start: hex(l.paddr), size: hex(l.size) })),
      vmcoreinfo: c.vmcoreinfo,
      level: c.dumpLevel,
      pages: dumpPages(reader, truth.blockSize),
    },
  };
}

/** Reads the dump back and compares it with the crash: the dump side of the summary and the verdict. */
export function verifyDump(reader: DumpReader, truth: CrashTruth): { dump: DumpSide; verify: Verification } {
  const { side, ids } = readDumpSide(reader, truth);
  const loads = reader.contents.loads.map((l) => ({ base: l.paddr, size: l.size }));
  // A format that records whole pages holds the pages the ranges touch, zeros where they do not reach.
  const g = reader.contents.granule;
  const ranges = g > 1 ? roundOut(truth.ranges, g) : truth.ranges;
  const memory = g > 1 ? zeroOutside(truth.memory, truth.ranges) : truth.memory;
  const verify: Verification = {
    mismatchedBytes: compareMemory(reader, memory, truth.exclude, truth.hints),
    missingBytes: bytesNotIn(ranges, loads),
    extraBytes: bytesNotIn(loads, ranges),
    notDumpedByDesignBytes: bytesNotIn(truth.notDumpedByDesign, loads),
    beyondLimitBytes: bytesNotIn(truth.beyondLimit, loads),
    registerMismatches: [],
    registersNotSavedByDesign: 0,
    missingCpus: [],
    extraCpus: [],
    vmcoreinfoMismatch: compareVmcoreinfo(truth.vmcoreinfo, reader.contents.vmcoreinfo),
    ...judgeLeftOut(reader, truth, memory, ranges),
  };
  const seen = new Set<number>();
  const byCpu = new Map(truth.cpus.map((x) => [x.cpu, x]));
  reader.contents.cpus.forEach((note, i) => {
    const cpu = ids[i]!;
    const t = byCpu.get(cpu);
    if (!t || seen.has(cpu)) {
      verify.extraCpus.push(cpu);
      return;
    }
    seen.add(cpu);
    const want = truthPtRegs(t.regs);
    const others = cpu === truth.crashingCpu ? [] : truth.notSavedForOthers;
    for (const [name, value] of Object.entries(want) as [keyof typeof want, bigint | bigint[]][]) {
      const got = note.regs[name];
      const pairs: [string, bigint, bigint][] = Array.isArray(value)
        ? value.map((v, j) => [`gpr${j}`, v, (got as bigint[])[j]!])
        : [[name, value, got as bigint]];
      for (const [reg, expected, actual] of pairs) {
        if (expected === actual) continue;
        if (actual === 0n && others.includes(name)) {
          verify.registersNotSavedByDesign++;
          continue;
        }
        if (verify.registerMismatches.length < MAX_LISTED)
          verify.registerMismatches.push({ cpu, register: reg, expected: hex(expected), got: hex(actual) });
      }
    }
  });
  verify.missingCpus = truth.cpus.map((x) => x.cpu).filter((cpu) => !seen.has(cpu));
  return { dump: side, verify };
}

/**
 * The file's pages as makedumpfile's report counts them: each page the dump level left out, by
 * what the struct pages the file holds say of it; and the same per memory block.
 */
function dumpPages(reader: DumpReader, blockSize: number): DumpPages | null {
  const c = reader.contents;
  const described = pfnsOf(c.loads.map((l) => ({ base: l.paddr, size: l.size })));
  const leftOut = pfnsOf(c.leftOut);
  const zero = pfnsOf(c.sharedZero);
  let why: (PfnRange & { kind: Exclude<PageKind, 'zero'> })[] = [];
  if (leftOut.length) {
    try {
      why = intersect(filterPages(dumpFilterMemory(reader), c.dumpLevel ?? 31).excluded, leftOut);
    } catch (e) {
      if (e instanceof PageFilterError) return null;
      throw e;
    }
  }
  // An ELF from makedumpfile -E leaves zero pages out (a kdump file holds them once): the pages it
  // left out that no struct page explains are, by elimination, its zero pages. Whether they were
  // zero at the crash is verification's to judge.
  const zeroLeftOut = c.format === 'elf' ? subtractPfns(leftOut, why) : [];
  const counts = noPages();
  counts.zero = pfnCount(zero) + pfnCount(zeroLeftOut);
  for (const x of why) counts[x.kind] += x.end - x.start;
  const maxPfn = described.length ? described[described.length - 1]!.end : 0;

  // Per memory block: what it describes, keeps and left out; consecutive equal blocks merged.
  const per = Math.max(1, Math.floor(blockSize / PAGE_SIZE));
  const rows = new Map<number, BlockPages>();
  const spread = (ranges: readonly PfnRange[], add: (r: BlockPages, n: number) => void) => {
    for (const r of ranges)
      for (let at = r.start; at < r.end; ) {
        const b = Math.floor(at / per);
        const end = Math.min(r.end, (b + 1) * per);
        let row = rows.get(b);
        if (!row) {
          row = { start: hex(b * per * PAGE_SIZE), blocks: 1, described: 0, kept: 0, ...noPages() };
          rows.set(b, row);
        }
        add(row, end - at);
        at = end;
      }
  };
  spread(described, (r, n) => {
    r.described += n;
    r.kept += n;
  });
  spread(zero, (r, n) => {
    r.zero += n;
  });
  spread(zeroLeftOut, (r, n) => {
    r.zero += n;
    r.kept -= n;
  });
  for (const kind of LEFT_OUT_KINDS)
    spread(
      why.filter((x) => x.kind === kind),
      (r, n) => {
        r[kind] += n;
        r.kept -= n;
      },
    );
  const byBlock: BlockPages[] = [];
  let prev = -2;
  for (const b of [...rows.keys()].sort((x, y) => x - y)) {
    const row = rows.get(b)!;
    const last = byBlock[byBlock.length - 1];
    if (last && b === prev + 1 && BLOCK_COUNTS.every((k) => last[k] === row[k])) last.blocks++;
    else byBlock.push(row);
    prev = b;
  }
  return {
    ...counts,
    remaining: pfnCount(described) - pfnCount(leftOut) - pfnCount(zero),
    total: maxPfn,
    blockSize,
    byBlock,
  };
}

/** The kinds of page a dump level leaves out, in makedumpfile's report order. */
const BLOCK_COUNTS = ['described', 'kept', 'zero', ...LEFT_OUT_KINDS] as const;

/** The parts of `a`'s ranges that `b` holds, each keeping its other fields (both sorted, disjoint). */
function intersect<T extends PfnRange>(a: readonly T[], b: readonly PfnRange[]): T[] {
  const out: T[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]!.end <= x.start) j++;
    for (let k = j; k < b.length && b[k]!.start < x.end; k++) {
      const start = Math.max(x.start, b[k]!.start);
      const end = Math.min(x.end, b[k]!.end);
      if (start < end) out.push({ ...x, start, end });
    }
  }
  return out;
}

/**
 * Whether what the file left out could be: the page filter run over crash-time memory at the
 * file's dump level says which pages a right dump leaves out.
 */
function judgeLeftOut(
  reader: DumpReader,
  truth: CrashTruth,
  memory: MemoryView,
  ranges: readonly Range[],
): Pick<Verification, 'excludablePages' | 'wronglyLeftOutPages'> {
  const leftOut = pfnsOf(reader.contents.leftOut);
  // A file that does not record its level (makedumpfile -E) is held to what any level allows.
  const level = reader.contents.dumpLevel ?? 31;
  try {
    const excludable = filterPages(
      snapshotFilterMemory(
        (a, n) => memory.peek(a, n),
        ranges,
        truth.vmcoreinfo,
        truth.order,
        (a) => (a % BACKING_PAGE ? undefined : memory.backing?.(a / BACKING_PAGE)),
      ),
      level,
    );
    const wrong = subtractPfns(leftOut, excludable.excluded);
    // At dump level bit 1 an ELF (makedumpfile -E) also leaves out the pages that were zero at the
    // crash; a kdump file holds them, as the shared zero page.
    const zeroOut = level & 1 && reader.contents.format === 'elf';
    return {
      excludablePages: excludable.counts,
      wronglyLeftOutPages: zeroOut ? nonZeroPages(memory, wrong) : pfnCount(wrong),
    };
  } catch (e) {
    if (!(e instanceof PageFilterError)) throw e;
    return { excludablePages: null, wronglyLeftOutPages: pfnCount(leftOut) };
  }
}

/** The page frames among `ranges` whose crash-time bytes are not all zero. */
function nonZeroPages(memory: MemoryView, ranges: readonly PfnRange[]): number {
  const whole = PAGE_SIZE === BACKING_PAGE;
  // Identical pages share a buffer: each buffer is looked at once.
  const seen = new Map<Uint8Array, boolean>();
  let n = 0;
  for (const r of ranges)
    for (let pfn = r.start; pfn < r.end; pfn++) {
      if (whole && !memory.isPresent(pfn)) continue;
      const shared = whole ? memory.backing?.(pfn) : undefined;
      if (shared) {
        let zero = seen.get(shared);
        if (zero === undefined) {
          zero = isZeroBytes(shared);
          seen.set(shared, zero);
        }
        if (!zero) n++;
      } else if (!isZeroBytes(memory.peek(pfn * PAGE_SIZE, PAGE_SIZE))) n++;
    }
  return n;
}

/** The ranges widened to whole granules, merged. */
function roundOut(ranges: readonly Range[], g: number): Range[] {
  const out: Range[] = [];
  for (const r of [...ranges].sort((a, b) => a.base - b.base)) {
    const base = Math.floor(r.base / g) * g;
    const end = Math.ceil((r.base + r.size) / g) * g;
    const last = out[out.length - 1];
    if (last && base <= last.base + last.size) last.size = Math.max(last.size, end - last.base);
    else out.push({ base, size: end - base });
  }
  return out;
}

/** Memory as a page-granular dump should hold it: zero outside `ranges`. */
function zeroOutside(memory: MemoryView, ranges: readonly Range[]): MemoryView {
  const sorted = [...ranges].sort((a, b) => a.base - b.base);
  /** The first range ending after addr. */
  const rangeAt = (addr: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.base + sorted[mid]!.size <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    peek(addr, len) {
      const out = new Uint8Array(len);
      for (let i = rangeAt(addr); i < sorted.length && sorted[i]!.base < addr + len; i++) {
        const r = sorted[i]!;
        const from = Math.max(addr, r.base);
        const to = Math.min(addr + len, r.base + r.size);
        if (from < to) out.set(memory.peek(from, to - from), from - addr);
      }
      return out;
    },
    presentPages: () => memory.presentPages(),
    isPresent: (p) => memory.isPresent(p),
    ...(memory.backing && {
      // A page wholly inside one range is the snapshot's own.
      backing: (p: number) => {
        const addr = p * BACKING_PAGE;
        const r = sorted[rangeAt(addr)];
        return r && r.base <= addr && addr + BACKING_PAGE <= r.base + r.size ? memory.backing!(p) : undefined;
      },
    }),
  };
}

function compareVmcoreinfo(
  want: Record<string, string> | null,
  got: Record<string, string> | null,
): string[] {
  if (!want && !got) return [];
  if (!want || !got) return ['(the whole note)'];
  const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
  return [...keys].filter((k) => want[k] !== got[k]);
}

/** What an absent backing page holds. */
const ZERO_PAGE = new Uint8Array(BACKING_PAGE);

/**
 * Compares every byte of memory the dump holds with the crash-time snapshot at its physical
 * address; returns the number that differ (bytes the file cannot supply count as differing).
 *
 * Pages where the snapshot holds data are read and compared. Every other byte must be zero; rather
 * than read gigabytes of holes, the reader tells whether the file could hold data anywhere else
 * (for a sparse ELF core: whether the filesystem allocated more than the compared pages). Where it
 * could, the rest is read and compared too.
 */
export function compareMemory(
  reader: DumpReader,
  memory: MemoryView,
  exclude: readonly Range[] = [],
  /**
   * Physical ranges where the file may hold data besides the snapshot's pages (those the writer read
   * from present pages). Only where to look first: were they wrong, the file would seem to hold
   * more than was compared, and everything would be read.
   */
  hints: readonly Range[] = [],
): number {
  let mismatched = 0;
  const overlapsExclude = (paddr: number, len: number) =>
    exclude.some((x) => x.base < paddr + len && paddr < x.base + x.size);
  // Without copies, where the file holds the bytes in one piece: a page-granular reader's shared
  // page buffer (identical pages share one, so a pair found equal once is equal wherever it recurs)
  // or a view of the file, against the snapshot's own page.
  const shared = reader.contents.granule === BACKING_PAGE ? reader.pageBuffer?.bind(reader) : undefined;
  const equalPairs = new WeakMap<Uint8Array, Uint8Array>();
  const direct = (paddr: number, len: number): boolean => {
    if (overlapsExclude(paddr, len)) return false;
    const whole = len === BACKING_PAGE && paddr % BACKING_PAGE === 0;
    const page = whole ? shared?.(paddr / BACKING_PAGE) : undefined;
    const data = page ?? reader.view?.(paddr, len);
    if (!data) return false;
    const expect =
      whole && memory.backing ? (memory.backing(paddr / BACKING_PAGE) ?? ZERO_PAGE) : memory.peek(paddr, len);
    // The same bytes (a memory file keeps the page it was given) are equal without a look.
    if (data.buffer === expect.buffer && data.byteOffset === expect.byteOffset) return true;
    if (page && equalPairs.get(page) === expect) return true;
    if (Buffer.compare(data, expect) === 0) {
      if (page) equalPairs.set(page, expect);
      return true;
    }
    for (let i = 0; i < len; i++) if (data[i] !== expect[i]) mismatched++;
    return true;
  };
  const compare = (paddr: number, len: number) => {
    if (direct(paddr, len)) return;
    const { data, unread } = reader.read(paddr, len);
    const expect = memory.peek(paddr, len);
    for (const x of exclude) {
      const from = Math.max(x.base, paddr);
      const to = Math.min(x.base + x.size, paddr + len);
      if (from < to) data.set(expect.subarray(from - paddr, to - paddr), from - paddr);
    }
    mismatched += unread;
    for (let at = 0; at < len; at += BACKING_PAGE) {
      const e = Math.min(at + BACKING_PAGE, len);
      if (Buffer.compare(data.subarray(at, e), expect.subarray(at, e)) === 0) continue;
      for (let i = at; i < e; i++) if (data[i] !== expect[i]) mismatched++;
    }
  };
  // The pages to read: where the snapshot holds data, and where the hints say the file may.
  const candidates: Range[] = [
    ...memory.presentPages().map((p) => ({ base: p * BACKING_PAGE, size: BACKING_PAGE })),
    ...hints,
  ].sort((a, b) => a.base - b.base);
  const compared: Range[] = [];
  // What the file holds: the memory it describes less the pages its dump level left out.
  const held = without(
    reader.contents.loads.map((l) => ({ base: l.paddr, size: l.size })).sort((a, b) => a.base - b.base),
    reader.contents.leftOut,
  );
  let first = 0;
  for (const l of held) {
    const end = l.base + l.size;
    let done = l.base;
    // Both are sorted: candidates ending before this range ended before the ranges before it too.
    while (first < candidates.length && candidates[first]!.base + candidates[first]!.size <= l.base) first++;
    for (let k = first; k < candidates.length && candidates[k]!.base < end; k++) {
      const c = candidates[k]!;
      const from = Math.max(done, c.base);
      const to = Math.min(end, c.base + c.size);
      if (from >= to) continue;
      compare(from, to - from);
      done = to;
      const last = compared[compared.length - 1];
      if (last && last.base + last.size === from) last.size += to - from;
      else compared.push({ base: from, size: to - from });
    }
  }
  if (reader.mayHoldDataOutside(compared)) {
    // Something else is allocated: read everything not compared yet, 16 MiB at a time.
    compared.sort((a, b) => a.base - b.base);
    for (const l of held) {
      for (const gap of uncovered(l, compared)) {
        for (let at = 0; at < gap.size; at += 16 * 2 ** 20)
          compare(gap.base + at, Math.min(16 * 2 ** 20, gap.size - at));
      }
    }
  }
  return mismatched;
}

type MaybeVerification = { [K in keyof Verification]: Verification[K] | null };

/**
 * What is wrong with a dump, one line each: bytes, registers, CPU notes, VMCOREINFO. Memory left out
 * of the dump (missingBytes, extraBytes) is reported by the summary, not here: a kernel that does
 * not dump hot-added memory (legacy without udev) is not a wrong dump of what it lists.
 */
export function verifyProblems(v: MaybeVerification): string[] {
  const out: string[] = [];
  if (v.mismatchedBytes) out.push(`${v.mismatchedBytes} bytes differ from memory at the crash`);
  for (const m of v.registerMismatches ?? [])
    out.push(`CPU ${m.cpu} ${m.register}: the dump has ${m.got}, the CPU had ${m.expected}`);
  if (v.missingCpus?.length) out.push(`no note for CPU ${v.missingCpus.join(', ')}`);
  if (v.extraCpus?.length) out.push(`notes for CPUs that did not exist or twice: ${v.extraCpus.join(', ')}`);
  if (v.vmcoreinfoMismatch?.length) out.push(`VMCOREINFO differs: ${v.vmcoreinfoMismatch.join(', ')}`);
  if (v.wronglyLeftOutPages)
    out.push(`${v.wronglyLeftOutPages} pages left out that the dump level does not allow`);
  return out;
}

/** Every byte, register, CPU note and VMCOREINFO key right, no memory missing but what Linux leaves out by design, none extra. */
export function isExact(v: MaybeVerification): boolean {
  return (
    verifyProblems(v).length === 0 &&
    v.mismatchedBytes === 0 &&
    v.extraBytes === 0 &&
    v.missingBytes === (v.notDumpedByDesignBytes ?? 0)
  );
}
