// Logical memory blocks (LMBs): the unit in which PowerVM assigns memory to a partition and in
// which DLPAR adds or removes it. Each block has a DRC index and an assigned flag; the device tree's
// ibm,dynamic-memory-v2 is generated from this list. The merged assigned ranges are recomputed,
// O(blocks), when next asked for after a change, so a bulk DLPAR event costs O(blocks) once.

export const MIN_LMB_SIZE = 16 * 2 ** 20;
export const MAX_LMB_SIZE = 2 ** 30;
/** ASSUMPTION: PowerVM-style DRC indexes for memory start at 0x80000000 (QEMU uses 0x90000000). */
export const LMB_DRC_BASE = 0x80000000;

export interface MemoryBlock {
  readonly index: number;
  readonly drcIndex: number;
  readonly base: number;
  assigned: boolean;
}

export interface Range {
  base: number;
  size: number;
}

/**
 * Options the model cannot run, in one line that names the option as the command line spells it
 * (`--crash-cpu 9 …`); `step`, when set, is the index of the timeline step (RunOptions.steps) at fault.
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly step?: number,
  ) {
    super(message);
  }
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

export class MemoryBlocks {
  readonly blocks: MemoryBlock[];
  private merged: Range[] | undefined;

  constructor(
    readonly lmbSize: number,
    count: number,
  ) {
    if (!isPowerOfTwo(lmbSize) || lmbSize < MIN_LMB_SIZE || lmbSize > MAX_LMB_SIZE) {
      throw new ConfigError(`LMB size ${lmbSize} must be a power of two from 16M to 1G`);
    }
    this.blocks = Array.from({ length: count }, (_, index) => ({
      index,
      drcIndex: LMB_DRC_BASE + index,
      base: index * lmbSize,
      assigned: true,
    }));
  }

  setAssigned(index: number, assigned: boolean): void {
    const b = this.blocks[index];
    if (!b) throw new RangeError(`no LMB ${index}`);
    if (b.assigned !== assigned) this.merged = undefined;
    b.assigned = assigned;
  }

  byDrcIndex(drc: number): MemoryBlock | undefined {
    return this.blocks[drc - LMB_DRC_BASE];
  }

  /** Assigned memory as merged, sorted ranges. */
  assignedRanges(): readonly Range[] {
    this.merged ??= this.merge();
    return this.merged;
  }

  assignedBytes(): number {
    return this.assignedRanges().reduce((s, r) => s + r.size, 0);
  }

  /** End of the address space the blocks describe. */
  end(): number {
    return this.blocks.length * this.lmbSize;
  }

  /** Whether [addr, addr+len) lies wholly inside one assigned range. */
  isAssigned(addr: number, len: number): boolean {
    const rs = this.assignedRanges();
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return addr + len <= r.base + r.size;
    }
    return false;
  }

  private merge(): Range[] {
    const out: Range[] = [];
    for (const b of this.blocks) {
      if (!b.assigned) continue;
      const last = out[out.length - 1];
      if (last && last.base + last.size === b.base) last.size += this.lmbSize;
      else out.push({ base: b.base, size: this.lmbSize });
    }
    return out;
  }
}
