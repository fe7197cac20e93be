// The ELF core reader: reads a vmcore (or OPAL core) back from the file alone — headers, notes, the
// registers in each PRSTATUS, VMCOREINFO, the PT_LOADs, the bytes of physical memory they hold and
// the kernel log found through VMCOREINFO. It shares the structure declarations (the field tables
// of kernel-model/elf.ts) and no code with the writer or the elfcorehdr builder. Hostile input ends
// in one DumpFileError saying what is wrong and where; every read is bounded by the file's size.

import type { ByteOrder } from '../emulator/struct.ts';
import { ELF64_EHDR, ELF64_PHDR, ET_CORE, PT_LOAD, PT_NOTE } from '../kernel-model/elf.ts';
import { type DumpTarget, type FileIn, openDumpFile } from './dump-file.ts';
import { type DumpContents, DumpFileError, type DumpLoad, type DumpReader } from './dump-reader.ts';
import { kernelLog, parseNotes } from './notes.ts';
import { ReadAhead } from './read-ahead.ts';

/** Largest note segment the reader accepts. */
const MAX_NOTES = 64 * 2 ** 20;

export interface ElfPhdr {
  type: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface ElfDumpContents extends DumpContents {
  format: 'elf';
  /** e_machine (21: EM_PPC64). */
  machine: number;
  phdrs: ElfPhdr[];
}

/** Whether the bytes start with the ELF magic, \x7fELF. */
export function isElf(head: Uint8Array): boolean {
  return head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** Opens an ELF core for reading; the caller closes it. */
export function openElfDump(target: DumpTarget): DumpReader & { contents: ElfDumpContents } {
  const file = openDumpFile(target);
  try {
    return new ElfDump(file);
  } catch (e) {
    file.close();
    throw e;
  }
}

class ElfDump implements DumpReader {
  readonly contents: ElfDumpContents;
  private readonly size: number;
  private readonly ahead: ReadAhead;

  readonly path: string;

  constructor(private readonly file: FileIn) {
    this.path = file.name;
    this.size = file.size;
    this.ahead = new ReadAhead(file);
    const ident = this.bytes(0, 16, 'the ELF header');
    if (!isElf(ident)) {
      throw new DumpFileError('not an ELF file', 0);
    }
    if (ident[4] !== 2) throw new DumpFileError(`ELF class ${ident[4]}: only 64-bit cores are read`, 4);
    if (ident[5] !== 1 && ident[5] !== 2) throw new DumpFileError(`unknown ELF data encoding ${ident[5]}`, 5);
    const order: ByteOrder = ident[5] === 1 ? 'le' : 'be';
    const eh = ELF64_EHDR.decode(this.bytes(0, ELF64_EHDR.size, 'the ELF header'), order);
    if (eh.e_type !== ET_CORE) throw new DumpFileError(`ELF type ${eh.e_type} is not a core file (4)`, 16);
    if (eh.e_phentsize !== ELF64_PHDR.size)
      throw new DumpFileError(`program header size ${eh.e_phentsize}, expected ${ELF64_PHDR.size}`, 54);
    const phdrs: ElfPhdr[] = [];
    let headerEnd = Number(eh.e_phoff) + eh.e_phnum * ELF64_PHDR.size;
    for (let i = 0; i < eh.e_phnum; i++) {
      const at = Number(eh.e_phoff) + i * ELF64_PHDR.size;
      const p = ELF64_PHDR.decode(this.bytes(at, ELF64_PHDR.size, `program header ${i}`), order);
      phdrs.push({
        type: p.p_type,
        offset: p.p_offset,
        vaddr: p.p_vaddr,
        paddr: p.p_paddr,
        filesz: p.p_filesz,
        memsz: p.p_memsz,
        align: p.p_align,
      });
    }
    const contents: ElfDumpContents = {
      format: 'elf',
      order,
      machine: eh.e_machine,
      phdrs,
      notes: [],
      cpus: [],
      vmcoreinfo: null,
      loads: [],
      dmesg: [],
      granule: 1,
      headerBytes: 0,
      dumpLevel: 0,
      leftOut: [],
      sharedZero: [],
    };
    for (const p of phdrs.filter((x) => x.type === PT_NOTE)) {
      if (p.filesz > BigInt(MAX_NOTES))
        throw new DumpFileError(`a note segment of ${p.filesz} bytes`, Number(p.offset));
      const seg = this.bytes(p.offset, Number(p.filesz), 'a note segment');
      headerEnd = Math.max(headerEnd, Number(p.offset) + seg.length);
      this.readNotes(seg, Number(p.offset), contents);
    }
    for (const p of phdrs.filter((x) => x.type === PT_LOAD)) {
      const load: DumpLoad = {
        paddr: Number(p.paddr),
        vaddr: p.vaddr,
        size: Number(p.memsz),
        fileOffset: Number(p.offset),
        fileSize: Number(p.filesz),
      };
      // A physical address past 2^53 (no POWER machine has one: MAX_PHYSMEM_BITS is 51) is kept,
      // rounded: it is memory the crash did not have. A file offset there cannot be in any file.
      if (!Number.isSafeInteger(load.fileOffset + load.fileSize))
        throw new DumpFileError('a PT_LOAD beyond 2^53 bytes of file', Number(eh.e_phoff));
      contents.loads.push(load);
    }
    // What makedumpfile -E left out: the memory a PT_LOAD describes past the bytes it holds.
    const leftOut = contents.loads
      .filter((l) => l.size > l.fileSize)
      .map((l) => ({ base: l.paddr + l.fileSize, size: l.size - l.fileSize }))
      .sort((a, b) => a.base - b.base);
    contents.leftOut = leftOut;
    contents.dumpLevel = leftOut.length ? null : 0;
    contents.headerBytes = headerEnd;
    this.contents = contents;
    contents.dmesg = kernelLog(contents.vmcoreinfo, order, (addr, len) => this.read(addr, len).data);
  }

  private readNotes(seg: Uint8Array, segOffset: number, c: ElfDumpContents): void {
    const parsed = parseNotes(seg, c.order, segOffset);
    c.notes.push(...parsed.notes);
    c.cpus.push(...parsed.cpus);
    if (parsed.vmcoreinfo) c.vmcoreinfo = parsed.vmcoreinfo;
  }

  /** `len` bytes of the file at `at`, or DumpFileError when they lie beyond its end. */
  private bytes(at: number | bigint, len: number, what: string): Uint8Array {
    const off = Number(at);
    if (off < 0 || len < 0 || off + len > this.size)
      throw new DumpFileError(`${what} lies beyond the end of the file (${this.size} bytes)`, off);
    const b = new Uint8Array(len);
    this.file.read(b, off);
    return b;
  }

  read(paddr: number, len: number): { data: Uint8Array; unread: number } {
    const data = new Uint8Array(len);
    let unread = len;
    for (const l of this.contents.loads) {
      const from = Math.max(paddr, l.paddr);
      const to = Math.min(paddr + len, l.paddr + l.fileSize);
      if (from >= to) continue;
      const at = l.fileOffset + (from - l.paddr);
      const n = Math.max(0, Math.min(to - from, this.size - at));
      if (n > 0) {
        const ahead = this.ahead.view(at, n);
        if (ahead) data.set(ahead, from - paddr);
        else this.file.read(data.subarray(from - paddr, from - paddr + n), at);
      }
      unread -= n;
    }
    return { data, unread };
  }

  view(paddr: number, len: number): Uint8Array | undefined {
    for (const l of this.contents.loads) {
      if (paddr < l.paddr || paddr + len > l.paddr + l.fileSize) continue;
      const at = l.fileOffset + (paddr - l.paddr);
      return at + len <= this.size ? this.ahead.view(at, len) : undefined;
    }
    return undefined;
  }

  /**
   * Whether the file may hold data outside the header and the physical ranges given: the
   * filesystem allocated more blocks than those ranges could need.
   */
  mayHoldDataOutside(ranges: readonly { base: number; size: number }[]): boolean {
    const spans: [number, number][] = [[0, this.contents.headerBytes]];
    for (const r of ranges) {
      for (const l of this.contents.loads) {
        const from = Math.max(r.base, l.paddr);
        const to = Math.min(r.base + r.size, l.paddr + l.fileSize);
        if (from < to) spans.push([l.fileOffset + from - l.paddr, l.fileOffset + to - l.paddr]);
      }
    }
    const { bytes, block } = this.file.allocated();
    return bytes > allocationBound(spans, block);
  }

  close(): void {
    this.file.close();
  }
}

/** Bytes a filesystem with `block`-byte blocks allocates at most for data written in `ranges`. */
function allocationBound(ranges: readonly [number, number][], block: number): number {
  const spans = ranges
    .filter(([a, b]) => b > a)
    .map(([a, b]) => [Math.floor(a / block), Math.ceil(b / block)] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -1;
  for (const [a, b] of spans) {
    const from = Math.max(a, end);
    if (b > from) total += b - from;
    end = Math.max(end, b);
  }
  return total * block;
}
