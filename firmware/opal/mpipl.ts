// skiboot's MPIPL interface (core/opal-dump.c; skiboot core/opal-dump.c and doc/mpipl.rst): OPAL_MPIPL_UPDATE over the
// MDST/MDDT tables it shares with its own entry, OPAL_MPIPL_REGISTER_TAG and OPAL_MPIPL_QUERY_TAG.
// The tables live in guest memory at skiboot's fixed addresses (the dump step reads them there);
// entry counts are found by scanning to the first empty entry, so nothing but memory carries them.

import type { Machine } from '../../emulator/machine.ts';
import {
  DUMP_REGION,
  DUMP_TYPE_PRESERVE,
  HRMOR_BIT,
  MDDT_ADDR,
  MDDT_CAPACITY,
  MDRT_ADDR,
  MDRT_BYTES,
  MDST_ADDR,
  MDST_CAPACITY,
  MDST_ENTRY,
  METADATA_ADDR,
  METADATA_BYTES,
  PRESERVED_METADATA,
  SKIBOOT_BASE,
  SKIBOOT_SIZE,
} from './mpipl-structs.ts';
import { OpalStatus } from './opal.ts';

export const MpiplOp = { AddRange: 0, RemoveRange: 1, RemoveAll: 2, FreePreservedMemory: 3 } as const;
export const MpiplTag = { Cpu: 0, Opal: 1, Kernel: 2, BootMem: 3 } as const;
const TAG_COUNT = 4;
/** skiboot's per-thread stack, part of OPAL's own dump region. */
const STACK_PER_PIR = 32 * 1024;

type Entry = ReturnType<typeof MDST_ENTRY.decode>;

export class Mpipl {
  /** What QUERY_TAG answers in this boot: set from the preserved metadata on a dump boot. */
  private tags: bigint[] = new Array(TAG_COUNT).fill(0n);
  private tagCount = TAG_COUNT;

  constructor(private machine: Machine) {}

  private get mem() {
    return this.machine.memory;
  }

  /** Refuses a call, saying why and with what value, as skiboot's prlog(PR_DEBUG) does. */
  private reject(call: string, reason: string, value: bigint, status: number): number {
    this.machine.events.emit('machine', 'reject', { call, reason, value: `0x${value.toString(16)}`, status });
    return status;
  }

  /** OPAL's own dump region: skiboot's image and stacks, copied to just after them. */
  opalRegion(): { src: number; dest: number; size: number } {
    const maxPir = Math.max(...this.machine.cpus.map((c) => c.pir));
    const size = SKIBOOT_SIZE + (maxPir + 1) * STACK_PER_PIR;
    return { src: SKIBOOT_BASE, dest: SKIBOOT_BASE + size, size };
  }

  /** Late init (opal_mpipl_init): clear metadata and tables, then add OPAL's own entry. */
  initTables(): void {
    this.mem.zero(METADATA_ADDR, METADATA_BYTES);
    this.mem.zero(MDST_ADDR, MDST_CAPACITY * MDST_ENTRY.size);
    this.mem.zero(MDDT_ADDR, MDDT_CAPACITY * MDST_ENTRY.size);
    const r = this.opalRegion();
    this.append(MDST_ADDR, r.src, DUMP_REGION.OpalMemory, r.size);
    this.append(MDDT_ADDR, r.dest, DUMP_REGION.OpalMemory, r.size);
  }

  /** Tags become queryable on the dump boot, from what was registered before the crash. */
  exposeTags(values: Partial<Record<keyof typeof MpiplTag, bigint>>): void {
    this.tagCount = TAG_COUNT;
    this.tags = [values.Cpu ?? 0n, values.Opal ?? 0n, values.Kernel ?? 0n, values.BootMem ?? 0n];
  }

  /** The preserved metadata area: crashing PIR and the tags the kernel registered. */
  metadata(): ReturnType<typeof PRESERVED_METADATA.decode> {
    return PRESERVED_METADATA.decode(this.mem.peek(METADATA_ADDR, PRESERVED_METADATA.size));
  }

  writeMetadata(v: ReturnType<typeof PRESERVED_METADATA.decode>): void {
    this.mem.poke(METADATA_ADDR, PRESERVED_METADATA.encode(v));
  }

  /** Top of RAM for opal_addr_valid. */
  private topOfRam(): bigint {
    const ranges = this.machine.blocks.assignedRanges();
    const last = ranges[ranges.length - 1];
    return BigInt(last ? last.base + last.size : 0);
  }

  /** opal_addr_valid: top nibble 0x0 or 0xC, and not above the top of RAM. */
  private addrValid(a: bigint): boolean {
    const nibble = a >> 60n;
    if (nibble !== 0x0n && nibble !== 0xcn) return false;
    return (a & 0x0fffffffffffffffn) <= this.topOfRam();
  }

  /** Entries of a table up to the first empty one. */
  entries(table: number): Entry[] {
    const out: Entry[] = [];
    for (let i = 0; i < MDST_CAPACITY; i++) {
      const e = MDST_ENTRY.decode(this.mem.peek(table + i * MDST_ENTRY.size, MDST_ENTRY.size));
      if (e.addr === 0n && e.size === 0) break;
      out.push(e);
    }
    return out;
  }

  private writeTable(table: number, entries: readonly Entry[]): void {
    this.mem.zero(table, MDST_CAPACITY * MDST_ENTRY.size);
    entries.forEach((e, i) => this.mem.poke(table + i * MDST_ENTRY.size, MDST_ENTRY.encode(e)));
  }

  private append(table: number, addr: number | bigint, region: number, size: number | bigint): void {
    const list = this.entries(table);
    list.push({
      addr: BigInt(addr) | HRMOR_BIT,
      data_region: region,
      dump_type: DUMP_TYPE_PRESERVE,
      size: Number(BigInt(size) & 0xffffffffn),
    });
    this.writeTable(table, list);
  }

  /**
   * OPAL_MPIPL_UPDATE(op, src, dest, size). ADD_RANGE: OPAL_PARAMETER for an invalid address, size 0
   * or a source or destination already in the tables; OPAL_RESOURCE when a table is full (64 entries,
   * OPAL's own included). REMOVE_RANGE: OPAL_PARAMETER when the source or destination is not found
   * (the MDST entry is already gone if only the destination was missing). REMOVE_ALL and
   * FREE_PRESERVED_MEMORY always succeed. Any other op: OPAL_PARAMETER.
   */
  update(op: bigint, src: bigint, dest: bigint, size: bigint): number {
    switch (op) {
      case BigInt(MpiplOp.AddRange): {
        if (!this.addrValid(src))
          return this.reject('OPAL_MPIPL_UPDATE', 'ADD_RANGE: invalid source', src, OpalStatus.Parameter);
        if (!this.addrValid(dest))
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            'ADD_RANGE: invalid destination',
            dest,
            OpalStatus.Parameter,
          );
        if (size === 0n)
          return this.reject('OPAL_MPIPL_UPDATE', 'ADD_RANGE: size 0', size, OpalStatus.Parameter);
        const mdst = this.entries(MDST_ADDR);
        const mddt = this.entries(MDDT_ADDR);
        if (mdst.length >= MDST_CAPACITY || mddt.length >= MDDT_CAPACITY)
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            `ADD_RANGE: tables full (${MDST_CAPACITY} entries)`,
            src,
            OpalStatus.Resource,
          );
        const s = src | HRMOR_BIT;
        const d = dest | HRMOR_BIT;
        if (mdst.some((e) => e.addr === s))
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            'ADD_RANGE: source already registered',
            src,
            OpalStatus.Parameter,
          );
        if (mddt.some((e) => e.addr === d))
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            'ADD_RANGE: destination already registered',
            dest,
            OpalStatus.Parameter,
          );
        this.append(MDST_ADDR, src, DUMP_REGION.Kernel, size);
        this.append(MDDT_ADDR, dest, DUMP_REGION.Kernel, size);
        return OpalStatus.Success;
      }
      case BigInt(MpiplOp.RemoveRange): {
        if (!this.addrValid(src))
          return this.reject('OPAL_MPIPL_UPDATE', 'REMOVE_RANGE: invalid source', src, OpalStatus.Parameter);
        if (!this.addrValid(dest))
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            'REMOVE_RANGE: invalid destination',
            dest,
            OpalStatus.Parameter,
          );
        const mdst = this.entries(MDST_ADDR);
        const si = mdst.findIndex(
          (e) => e.data_region === DUMP_REGION.Kernel && e.addr === (src | HRMOR_BIT),
        );
        if (si < 0)
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            'REMOVE_RANGE: source not registered',
            src,
            OpalStatus.Parameter,
          );
        mdst.splice(si, 1);
        this.writeTable(MDST_ADDR, mdst);
        const mddt = this.entries(MDDT_ADDR);
        const di = mddt.findIndex(
          (e) => e.data_region === DUMP_REGION.Kernel && e.addr === (dest | HRMOR_BIT),
        );
        if (di < 0)
          return this.reject(
            'OPAL_MPIPL_UPDATE',
            'REMOVE_RANGE: destination not registered',
            dest,
            OpalStatus.Parameter,
          );
        mddt.splice(di, 1);
        this.writeTable(MDDT_ADDR, mddt);
        return OpalStatus.Success;
      }
      case BigInt(MpiplOp.RemoveAll):
        for (const t of [MDST_ADDR, MDDT_ADDR]) {
          this.writeTable(
            t,
            this.entries(t).filter((e) => e.data_region !== DUMP_REGION.Kernel),
          );
        }
        return OpalStatus.Success;
      case BigInt(MpiplOp.FreePreservedMemory):
        this.tags = new Array(TAG_COUNT).fill(0n);
        this.tagCount = 0;
        this.mem.zero(MDRT_ADDR, MDRT_BYTES);
        return OpalStatus.Success;
      default:
        return this.reject('OPAL_MPIPL_UPDATE', 'unknown operation', op, OpalStatus.Parameter);
    }
  }

  /**
   * OPAL_MPIPL_REGISTER_TAG(tag, value): KERNEL takes any value (0 clears it); BOOT_MEM must be
   * above 0 and not above the top of RAM. Values are kept in the preserved metadata and become
   * queryable only after the dump boot. Other tags: OPAL_PARAMETER.
   */
  registerTag(tag: bigint, value: bigint): number {
    const md = this.metadata();
    if (tag === BigInt(MpiplTag.Kernel)) md.kernel_tag = value;
    else if (tag === BigInt(MpiplTag.BootMem)) {
      if (value === 0n || value > this.topOfRam())
        return this.reject(
          'OPAL_MPIPL_REGISTER_TAG',
          'BOOT_MEM: 0 or above the top of RAM',
          value,
          OpalStatus.Parameter,
        );
      md.boot_mem_size = value;
    } else return this.reject('OPAL_MPIPL_REGISTER_TAG', 'tag not registrable', tag, OpalStatus.Parameter);
    this.writeMetadata(md);
    return OpalStatus.Success;
  }

  /**
   * OPAL_MPIPL_QUERY_TAG(tag, pointer): writes the tag's value as a big-endian u64 at the pointer.
   * OPAL_PARAMETER for a bad pointer or a tag beyond the current count (4; 0 after
   * FREE_PRESERVED_MEMORY).
   */
  queryTag(tag: bigint, ptr: bigint): number {
    if (!this.addrValid(ptr))
      return this.reject('OPAL_MPIPL_QUERY_TAG', 'invalid pointer', ptr, OpalStatus.Parameter);
    if (tag >= BigInt(this.tagCount))
      return this.reject(
        'OPAL_MPIPL_QUERY_TAG',
        `tag beyond the ${this.tagCount} this boot has`,
        tag,
        OpalStatus.Parameter,
      );
    const at = Number(ptr & 0x0fffffffffffffffn);
    if (!this.mem.accessible(at, 8))
      return this.reject('OPAL_MPIPL_QUERY_TAG', 'pointer not writable', ptr, OpalStatus.Parameter);
    this.mem.writeU64(at, this.tags[Number(tag)]!, 'be');
    return OpalStatus.Success;
  }
}
