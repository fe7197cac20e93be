// The structures that carry a dump across the reboot, by name: where each sits in memory for a
// crashed kernel, its field table, and its byte order. `explain` and the report annotate them from
// these tables; the scenario verb `corrupt` overwrites one of their fields between the firmware's
// copy and the fadump kernel's boot, as a damaged dump would.

import type { MemoryView } from '../emulator/physical-memory.ts';
import {
  type ByteOrder,
  encodeField,
  type Field,
  type FieldLayout,
  type OrderRule,
  StructError,
} from '../emulator/struct.ts';
import { MDRT_ADDR, MDRT_ENTRY, MDST_ADDR, MDST_ENTRY } from '../firmware/opal/mpipl-structs.ts';
import {
  DUMP_HEADER,
  DUMP_SECTION,
  REG_ENTRY,
  REGSAVE_HEADER_PAPR,
  REGSAVE_HEADER_QEMU,
} from '../firmware/rtas/fadump-structs.ts';
import type { PersonalityName } from '../firmware/rtas/personality.ts';
import { CRASH_INFO_HEADER, CRASH_INFO_HEADER_OLD } from '../kernel-model/crash-info-header.ts';
import type { Kernel } from '../kernel-model/kernel.ts';
import { FDM_ADDR } from '../kernel-model/kernel-layout.ts';
import { OPAL_FADUMP_MEM_STRUCT } from '../kernel-model/opal-fadump.ts';

/** What a located structure needs of its field table. */
export interface StructTable {
  readonly name: string;
  readonly size: number;
  readonly order: OrderRule;
  readonly spec: string;
  readonly fields: readonly Field[];
  readonly layout: readonly FieldLayout[];
  annotate(bytes: Uint8Array, order?: ByteOrder, at?: number): string;
}

/**
 * The structures a scenario can damage (`corrupt: { struct, field }`), one entry each: the
 * platforms that have it and the field tables its fields come from. The schema, the arbitraries,
 * the option checks and docs/structures.md all walk this registry.
 */
export const CORRUPTIBLE = {
  'crash-info-header': {
    platforms: ['pseries', 'powernv'],
    tables: [CRASH_INFO_HEADER, CRASH_INFO_HEADER_OLD],
    description: 'the crash info header the first kernel keeps in the reserved area',
  },
  'rtas-dump-header': {
    platforms: ['pseries'],
    tables: [DUMP_HEADER],
    description: 'the header of the RTAS dump structure, as firmware updated it',
  },
  'rtas-dump-section': {
    platforms: ['pseries'],
    tables: [DUMP_SECTION],
    description: 'a section of the RTAS dump structure (entry: which)',
  },
  'regsave-header': {
    platforms: ['pseries'],
    tables: [REGSAVE_HEADER_PAPR, REGSAVE_HEADER_QEMU],
    description: 'the header of the register save area firmware wrote',
  },
  'regsave-entry': {
    platforms: ['pseries'],
    tables: [REG_ENTRY],
    description: 'a register entry of the register save area (entry: which)',
  },
  'opal-metadata': {
    platforms: ['powernv'],
    tables: [OPAL_FADUMP_MEM_STRUCT],
    description: 'the kernel metadata the OPAL kernel tag points at',
  },
  'mdst-entry': {
    platforms: ['powernv'],
    tables: [MDST_ENTRY],
    description: 'an entry of the MPIPL destination table (entry: which)',
  },
  'mdrt-entry': {
    platforms: ['powernv'],
    tables: [MDRT_ENTRY],
    description: 'an entry of the MPIPL results table the SBE/hostboot step wrote (entry: which)',
  },
} as const satisfies Record<
  string,
  { platforms: readonly ('pseries' | 'powernv')[]; tables: readonly StructTable[]; description: string }
>;

export type StructName = keyof typeof CORRUPTIBLE;
export const STRUCT_NAMES = Object.keys(CORRUPTIBLE) as [StructName, ...StructName[]];

/** The structures each platform has. */
export const STRUCTS_BY_PLATFORM: Record<'pseries' | 'powernv', readonly StructName[]> = {
  pseries: STRUCT_NAMES.filter((n) => (CORRUPTIBLE[n].platforms as readonly string[]).includes('pseries')),
  powernv: STRUCT_NAMES.filter((n) => (CORRUPTIBLE[n].platforms as readonly string[]).includes('powernv')),
};

export interface AnnotatedStruct {
  name: StructName;
  title: string;
  /** Its field table's name: the heading of its layout in docs/structures.md. */
  layout: string;
  /** Where the layout comes from upstream (PAPR, Linux, QEMU or skiboot), as the table says. */
  source: string;
  text: string;
  /** Where it lies in guest memory (every entry), or undefined when it lives in firmware's own copy. */
  at?: { addr: number; size: number };
  /** What each field means, from its field table, by field name. */
  docs: Readonly<Record<string, string>>;
  /** The same structure as it was before a scenario damaged it (set only when one did). */
  before?: AnnotatedStruct;
  /** Entries of a table. */
  count: number;
  /** The entries after those in `text` (up to a bound), annotated; undefined when there are none. */
  readonly more?: string;
}

export interface LocatedStruct {
  name: StructName;
  /** What it is, for headings. */
  title: string;
  table: StructTable;
  /** Address of entry 0 (an offset into `firmwareCopy` when that is set). */
  addr: number;
  /** Firmware-private bytes the structure lives in instead of guest memory (RTAS's stored copy). */
  firmwareCopy?: Uint8Array;
  /** Entries (1 for a single structure). */
  count: number;
  order: ByteOrder;
}

export interface StructPlatform {
  platform: 'pseries' | 'powernv';
  firmware: PersonalityName;
}

/**
 * The structures of the crashed kernel's registration, at the addresses it chose: what firmware
 * copies, the fadump kernel reads, and a corruption can hit. `mem` is memory after the crash.
 */
export function locateStructures(
  kernel: Kernel,
  mem: MemoryView,
  p: StructPlatform,
  rtasCopy?: Uint8Array,
): LocatedStruct[] {
  const f = kernel.fadump;
  const order = kernel.order;
  const out: LocatedStruct[] = [];
  const add = (
    name: StructName,
    title: string,
    table: StructTable,
    addr: number,
    count = 1,
    copy?: Uint8Array,
  ) => {
    if ((addr > 0 || copy) && count > 0)
      out.push({ name, title, table, addr, count, order, ...(copy && { firmwareCopy: copy }) });
  };
  if (f.fadumphdrAddr > 0) {
    const table = kernel.behaviour.header === 'old' ? CRASH_INFO_HEADER_OLD : CRASH_INFO_HEADER;
    add(
      'crash-info-header',
      'The crash info header (kernel byte order), as crash_fadump left it',
      table,
      f.fadumphdrAddr,
    );
  }
  if (p.platform === 'pseries') {
    // After a dump, firmware's own copy (what ibm,kernel-dump presents); before, the kernel's.
    const bytes = rtasCopy ?? mem.peek(FDM_ADDR, DUMP_HEADER.size);
    const head = DUMP_HEADER.decode(bytes);
    const sections = head.dump_num_sections <= 10 ? head.dump_num_sections : 0;
    const base = rtasCopy ? 0 : FDM_ADDR;
    add(
      'rtas-dump-header',
      rtasCopy
        ? 'The RTAS dump structure as firmware presents it in ibm,kernel-dump after the dump (big-endian)'
        : 'The RTAS dump structure the kernel registered (big-endian, firmware reads it)',
      DUMP_HEADER,
      base,
      1,
      rtasCopy,
    );
    add('rtas-dump-section', 'Its sections', DUMP_SECTION, base + DUMP_HEADER.size, sections, rtasCopy);
    if (f.cpuStateDest > 0) {
      const header = p.firmware === 'qemu' ? REGSAVE_HEADER_QEMU : REGSAVE_HEADER_PAPR;
      add('regsave-header', 'The register save area firmware wrote (big-endian)', header, f.cpuStateDest);
      const entries = Math.floor((f.cpuStateSize - header.size) / REG_ENTRY.size);
      add('regsave-entry', 'Its register entries', REG_ENTRY, f.cpuStateDest + header.size, entries);
    }
  } else {
    const o = f.opal;
    if (o && o.kernelMetadata > 0)
      add(
        'opal-metadata',
        'The kernel metadata registered through the KERNEL tag (big-endian)',
        OPAL_FADUMP_MEM_STRUCT,
        o.kernelMetadata,
      );
    add(
      'mdst-entry',
      'The MDST: ranges OPAL asks the SBE to preserve (big-endian)',
      MDST_ENTRY,
      MDST_ADDR,
      countEntries(mem, MDST_ADDR, MDST_ENTRY.size, 64),
    );
    add(
      'mdrt-entry',
      'The MDRT: ranges the dump step preserved (big-endian)',
      MDRT_ENTRY,
      MDRT_ADDR,
      countEntries(mem, MDRT_ADDR, MDRT_ENTRY.size, 1024),
    );
  }
  return out;
}

/** Entries of a table up to the first all-zero one. */
function countEntries(mem: MemoryView, addr: number, size: number, max: number): number {
  for (let i = 0; i < max; i++) if (mem.peek(addr + i * size, size).every((b) => b === 0)) return i;
  return max;
}

/** Annotated hex of each structure (at most `maxEntries` entries of a table). */
export function annotateStructures(
  located: readonly LocatedStruct[],
  mem: MemoryView,
  maxEntries = 4,
  /** Entries after the first `maxEntries` kept for `more` (a bound on the page at thousands of CPUs). */
  moreEntries = 1024,
): AnnotatedStruct[] {
  return located.map((s) => {
    const n = Math.min(s.count, maxEntries);
    // The bytes are read now, as they are at this moment; the text is made when first asked for
    // (a campaign's cases never ask). The entries after the first n are read as one range.
    const entries = Array.from({ length: n }, (_, i) => readStruct(s, mem, i));
    const later = Math.min(s.count - n, moreEntries);
    const rest = later > 0 ? readEntries(s, mem, n, later) : undefined;
    let text: string | undefined;
    let more: string | undefined;
    return {
      name: s.name,
      title: s.title,
      layout: s.table.name,
      source: s.table.spec,
      count: s.count,
      ...(!s.firmwareCopy && { at: { addr: s.addr, size: s.count * s.table.size } }),
      docs: Object.fromEntries(
        s.table.layout.map((l) => [l.name, l.reserved ? `reserved; ${l.doc}` : l.doc]),
      ),
      get text() {
        if (text === undefined) {
          const parts = entries.map((bytes) => s.table.annotate(bytes, s.order));
          if (s.count > n) parts.push(`... ${s.count - n} more entries`);
          text = parts.join('\n');
        }
        return text;
      },
      get more() {
        if (rest && more === undefined) {
          const parts = Array.from({ length: later }, (_, i) =>
            s.table.annotate(rest, s.order, i * s.table.size),
          );
          if (s.count - n > later) parts.push(`... ${s.count - n - later} more entries not shown`);
          more = parts.join('\n');
        }
        return more;
      },
    };
  });
}

/** `n` entries from `first` on, as one range of bytes. */
function readEntries(s: LocatedStruct, mem: MemoryView, first: number, n: number): Uint8Array {
  const at = s.addr + first * s.table.size;
  const len = n * s.table.size;
  return s.firmwareCopy ? s.firmwareCopy.slice(at, at + len) : mem.peek(at, len);
}

function readStruct(s: LocatedStruct, mem: MemoryView, entry: number): Uint8Array {
  const at = s.addr + entry * s.table.size;
  return s.firmwareCopy ? s.firmwareCopy.slice(at, at + s.table.size) : mem.peek(at, s.table.size);
}

/**
 * A corruption of one field of one located structure: overwrite it with `value`, flip the bits set
 * in `xor`, or `truncate` — zero it and every byte after it in the entry, as if the structure had
 * been cut short there. Exactly one of the three.
 */
export interface Corruption {
  struct: StructName;
  field: string;
  value?: bigint;
  xor?: bigint;
  truncate?: boolean;
  /** Entry of a table (default 0). */
  entry?: number;
  /** Element of an array field (default 0). */
  index?: number;
}

/**
 * Writes the corruption (poke: no guest access) and returns a one-line description. A structure or
 * entry this run does not have is not an error of the run: the description says it was skipped.
 */
export function applyCorruption(
  c: Corruption,
  located: readonly LocatedStruct[],
  mem: MemoryView & { poke(addr: number, bytes: Uint8Array): void },
): string {
  const s = located.find((l) => l.name === c.struct);
  if (!s) return `skipped ${c.struct}.${c.field}: this run has no ${c.struct}`;
  const entry = c.entry ?? 0;
  const name = `${c.struct}${s.count > 1 || entry > 0 ? `[${entry}]` : ''}.${c.field}`;
  if (entry >= s.count) return `skipped ${name}: the table has ${s.count} entries`;
  const base = s.addr + entry * s.table.size;
  const read = (at: number, n: number) =>
    s.firmwareCopy ? s.firmwareCopy.slice(at, at + n) : mem.peek(at, n);
  const write = (at: number, bytes: Uint8Array) => {
    if (s.firmwareCopy) s.firmwareCopy.set(bytes, at);
    else mem.poke(at, bytes);
  };
  let encoded: ReturnType<typeof encodeField>;
  try {
    encoded = encodeField(s.table, c.field, c.value ?? c.xor ?? 0n, s.order, c.index ?? 0);
  } catch (e) {
    // A field this kernel's table lacks (the other header layout), or an index past it.
    if (e instanceof StructError) return `skipped ${name}: ${e.message}`;
    throw e;
  }
  const { offset, bytes } = encoded;
  const at = base + offset;
  const where = s.firmwareCopy ? `firmware copy +0x${at.toString(16)}` : `0x${at.toString(16)}`;
  if (c.truncate) {
    write(at, new Uint8Array(s.table.size - offset));
    return `${name} at ${where}: zeroed to the end of the entry (${s.table.size - offset} bytes)`;
  }
  if (c.xor !== undefined) {
    const old = read(at, bytes.length);
    write(
      at,
      old.map((b, i) => b ^ bytes[i]!),
    );
    return `${name} at ${where} ^= 0x${BigInt.asUintN(bytes.length * 8, c.xor).toString(16)}`;
  }
  write(at, bytes);
  return `${name} at ${where} := 0x${BigInt.asUintN(bytes.length * 8, c.value ?? 0n).toString(16)}`;
}

/** Field names of a structure, for messages and the schema docs. */
export function fieldsOf(name: StructName): string[] {
  const tables: readonly StructTable[] = CORRUPTIBLE[name].tables;
  return [...new Set(tables.flatMap((t) => t.fields.map((f) => f.name)))];
}
