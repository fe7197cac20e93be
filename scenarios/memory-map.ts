// The memory map of the partition at one phase of a run — memory blocks by state, and where fadump's
// parts sit (boot memory, the reserved area with its CPU state, boot-memory copy, crash info header
// and elfcorehdr, firmware memory) — as the running kernel sees it. The report draws it as SVG and
// `explain` prints it as text.

import type { Machine } from '../emulator/machine.ts';
import { CRASH_INFO_HEADER, CRASH_INFO_HEADER_OLD } from '../kernel-model/crash-info-header.ts';
import { COMMAND_LINE_SIZE } from '../kernel-model/fadump-param.ts';
import type { Kernel } from '../kernel-model/kernel.ts';
import type { AnnotatedStruct } from './structures.ts';

export type BlockState = 'online' | 'offline' | 'unassigned';

export type AreaKind =
  | 'boot-memory'
  | 'reserved'
  | 'cpu-state'
  | 'boot-copy'
  | 'header'
  | 'elfcorehdr'
  | 'metadata'
  | 'param-area'
  | 'preserved'
  | 'firmware';

export interface MapArea {
  base: number;
  size: number;
  kind: AreaKind;
  label: string;
}

export interface MemoryMap {
  /** Short name of the phase ("registered", "at the crash", ...). */
  phase: string;
  /** One sentence on what changed. */
  note: string;
  /** Simulated time, ns. */
  t: bigint;
  /** End of the address space drawn (all LMB slots). */
  end: number;
  /** Runs of consecutive memory blocks in the same state. */
  blocks: { base: number; size: number; state: BlockState }[];
  /** fadump's parts and firmware memory, largest first. */
  areas: MapArea[];
  /** What firmware copies (or copied) where at the crash: boot memory into the reserved area. */
  copies: { from: number; to: number; size: number }[];
  /** The structures that carry the dump as they were at this moment (their first entries). */
  structures?: AnnotatedStruct[];
}

/** The map as `kernel` sees the machine now (no kernel: firmware's view of assigned memory). */
export function memoryMap(
  machine: Machine,
  kernel: Kernel | undefined,
  phase: string,
  note: string,
  firmware: readonly { name: string; base: number; size: number }[] = [],
): MemoryMap {
  const blocks: MemoryMap['blocks'] = [];
  const lmbSize = machine.blocks.lmbSize;
  // The kernel's offline blocks (few, even when blocks are counted in hundreds of thousands).
  const offline = new Set<number>();
  for (const l of kernel?.lmbs.values() ?? []) if (l.present && !l.online) offline.add(l.base);
  for (const b of machine.blocks.blocks) {
    const base = b.index * lmbSize;
    const state: BlockState = !b.assigned ? 'unassigned' : offline.has(base) ? 'offline' : 'online';
    const last = blocks[blocks.length - 1];
    if (last && last.state === state && last.base + last.size === base) last.size += lmbSize;
    else blocks.push({ base, size: lmbSize, state });
  }
  const areas: MapArea[] = firmware.map((r) => ({
    base: r.base,
    size: r.size,
    kind: 'firmware',
    label: r.name,
  }));
  const copies: MemoryMap['copies'] = [];
  const f = kernel?.fadump;
  if (f && f.reserveSize > 0) {
    const add = (base: number, size: number, kind: AreaKind, label: string) => {
      if (size > 0) areas.push({ base, size, kind, label });
    };
    add(f.reserveStart, f.reserveSize, 'reserved', 'fadump reserved area');
    // The copy firmware will make (registered) or made (a dump waiting); none when unarmed.
    const copying = f.registered || f.dumpActive;
    let to = f.bootMemDestAddr;
    for (const r of f.bootMemRegions) {
      add(r.base, r.size, 'boot-memory', 'boot memory');
      if (to > 0 && copying) copies.push({ from: r.base, to, size: r.size });
      to += r.size;
    }
    // The fadump kernel keeps the crashed kernel's memory above boot memory untouched until the dump
    // is released (fadump_reserve_crash_area: "Reserving … for preserving crash data").
    if (f.dumpActive)
      for (const m of kernel.memblock.memory) {
        const start = Math.max(m.base, f.bootMemTop);
        const end = m.base + m.size;
        add(start, end - start, 'preserved', 'kept for the dump (crashed kernel memory)');
      }
    if (f.cpuStateSize > 0 && f.cpuStateDest > 0)
      add(f.cpuStateDest, f.cpuStateSize, 'cpu-state', 'CPU state');
    if (f.bootMemDestAddr > 0) add(f.bootMemDestAddr, f.bootMemSize, 'boot-copy', 'boot memory copy');
    const legacy = kernel.behaviour.elfcorehdrBuiltBy === 'first-kernel';
    const header = kernel.behaviour.header === 'old' ? CRASH_INFO_HEADER_OLD : CRASH_INFO_HEADER;
    if (f.fadumphdrAddr > 0) add(f.fadumphdrAddr, header.size, 'header', 'crash info header');
    if (f.elfcorehdrAddr !== undefined && f.elfcorehdrSize > 0)
      add(f.elfcorehdrAddr, f.elfcorehdrSize, 'elfcorehdr', 'elfcorehdr (fadump kernel)');
    else if (legacy && f.legacyElfcorehdrBytes > 0 && f.registered)
      add(f.fadumphdrAddr + header.size, f.legacyElfcorehdrBytes, 'elfcorehdr', 'elfcorehdr (first kernel)');
    if (f.paramArea > 0)
      add(f.paramArea, COMMAND_LINE_SIZE, 'param-area', 'additional parameters (bootargs_append)');
    if (f.opal && f.opal.kernelMetadata > 0)
      add(f.opal.kernelMetadata, f.opal.metadataSize(), 'metadata', 'kernel metadata (OPAL tag)');
  }
  areas.sort((a, b) => b.size - a.size || a.base - b.base);
  return {
    phase,
    note,
    t: machine.clock.now(),
    end: machine.blocks.blocks.length * lmbSize,
    blocks,
    areas,
    copies,
  };
}

const hex = (v: number) => `0x${v.toString(16)}`;

/** A size for people: whole units when exact, else one decimal of the largest unit that fits. */
export function approxSize(n: number): string {
  for (const [u, s] of [
    [2 ** 40, 'T'],
    [2 ** 30, 'G'],
    [2 ** 20, 'M'],
    [2 ** 10, 'K'],
  ] as const) {
    if (n >= u) return n % u === 0 ? `${n / u}${s}` : `${(n / u).toFixed(1)}${s}`;
  }
  return `${n} B`;
}

/** The map as text, for the terminal: block runs, then the areas by address. */
export function formatMemoryMap(m: MemoryMap): string[] {
  const out = [`${m.phase}: ${m.note}`];
  for (const b of m.blocks) {
    out.push(
      `  ${hex(b.base).padStart(14)} - ${hex(b.base + b.size - 1).padEnd(14)} ${approxSize(b.size).padStart(8)}  ${b.state}`,
    );
  }
  for (const a of [...m.areas].sort((x, y) => x.base - y.base || y.size - x.size)) {
    out.push(
      `    ${hex(a.base).padStart(14)} - ${hex(a.base + a.size - 1).padEnd(14)} ${approxSize(a.size).padStart(8)}  ${a.label}`,
    );
  }
  for (const c of m.copies) out.push(`    copy ${hex(c.from)} +${approxSize(c.size)} -> ${hex(c.to)}`);
  return out;
}
