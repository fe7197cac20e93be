// Test-only ELF64 core reader written straight on DataView reads, deliberately NOT built from the
// field tables in kernel-model/elf.ts: a wrong offset in a table then fails the tests instead of
// being read back by the same mistake. Layouts: System V gABI, Linux kernel/printk/printk_ringbuffer.h, Linux fadump.c (fadump_regs_to_elf_notes)

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type CoreByteOrder = 'le' | 'be';

export interface CorePhdr {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
  align: number;
}

export interface CoreNote {
  name: string;
  type: number;
  desc: Uint8Array;
  /** File offset of the note header. */
  at: number;
}

export interface CorePrstatus {
  pid: number;
  cursig: number;
  fpvalid: number;
  /** pr_reg: 48 longs, struct pt_regs order (Linux fadump.c (fadump_regs_to_elf_notes)). */
  regs: bigint[];
}

export interface ElfCore {
  order: CoreByteOrder;
  type: number;
  machine: number;
  version: number;
  flags: number;
  phoff: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  osabi: number;
  fileSize: number;
  phdrs: CorePhdr[];
  notes: CoreNote[];
  prstatus: CorePrstatus[];
  vmcoreinfo?: Map<string, string>;
}

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const NHDR_SIZE = 12;
const PT_LOAD = 1;
const PT_NOTE = 4;
const NT_PRSTATUS = 1;
/** sizeof(struct elf_prstatus) on ppc64. */
const PRSTATUS_SIZE = 504;
const PR_CURSIG = 12;
const PR_PID = 32;
const PR_REG = 112;
const PR_FPVALID = 496;
const ELF_NGREG = 48;
/** Notes larger than this are refused (a damaged p_filesz must not allocate gigabytes). */
const MAX_NOTE_SEGMENT = 64 * 2 ** 20;

interface Source {
  size: number;
  read(at: number, len: number, what: string): Uint8Array;
  close(): void;
}

function bytesSource(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    read(at, len, what) {
      if (at < 0 || len < 0 || at + len > bytes.length)
        throw new Error(`ELF core: ${what} [${at}, ${at + len}) lies beyond the end (${bytes.length} bytes)`);
      return bytes.subarray(at, at + len);
    },
    close() {},
  };
}

function fileSource(path: string): Source {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read(at, len, what) {
      if (at < 0 || len < 0 || at + len > size)
        throw new Error(`ELF core ${path}: ${what} [${at}, ${at + len}) lies beyond the end (${size} bytes)`);
      const out = new Uint8Array(len);
      let done = 0;
      while (done < len) {
        const n = readSync(fd, out, done, len - done, at + done);
        if (n === 0) throw new Error(`ELF core ${path}: short read of ${what} at ${at + done}`);
        done += n;
      }
      return out;
    },
    close() {
      closeSync(fd);
    },
  };
}

function openSource(input: Uint8Array | string): Source {
  return typeof input === 'string' ? fileSource(input) : bytesSource(input);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A u64 that must be usable as a file offset or size. */
function safe(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new Error(`ELF core: ${what} 0x${v.toString(16)} is too large`);
  return Number(v);
}

const pad4 = (n: number) => (n + 3) & ~3;

/**
 * The notes in one PT_NOTE segment: Nhdr (namesz, descsz, type), name padded to 4, desc padded
 * to 4. Like fs/proc/vmcore.c, a note with namesz 0 ends the list (the kernel's final empty note).
 */
export function readNotes(segment: Uint8Array, order: CoreByteOrder, base = 0): CoreNote[] {
  const le = order === 'le';
  const dv = view(segment);
  const notes: CoreNote[] = [];
  let at = 0;
  while (at < segment.length) {
    if (segment.length - at < NHDR_SIZE)
      throw new Error(`ELF core: truncated note header at file offset ${base + at}`);
    const namesz = dv.getUint32(at, le);
    const descsz = dv.getUint32(at + 4, le);
    const type = dv.getUint32(at + 8, le);
    if (namesz === 0) break;
    const nameAt = at + NHDR_SIZE;
    const descAt = nameAt + pad4(namesz);
    const end = descAt + pad4(descsz);
    if (descAt + descsz > segment.length)
      throw new Error(
        `ELF core: note at file offset ${base + at} (namesz ${namesz}, descsz ${descsz}) overruns its PT_NOTE`,
      );
    const rawName = segment.subarray(nameAt, nameAt + namesz);
    if (rawName[namesz - 1] !== 0)
      throw new Error(`ELF core: note name at file offset ${base + nameAt} is not NUL-terminated`);
    notes.push({
      name: new TextDecoder().decode(rawName.subarray(0, namesz - 1)),
      type,
      desc: segment.slice(descAt, descAt + descsz),
      at: base + at,
    });
    at = Math.min(end, segment.length);
  }
  return notes;
}

/** struct elf_prstatus (ppc64, 504 bytes) from an NT_PRSTATUS descriptor. */
export function readPrstatus(desc: Uint8Array, order: CoreByteOrder): CorePrstatus {
  if (desc.length !== PRSTATUS_SIZE)
    throw new Error(`ELF core: NT_PRSTATUS descriptor is ${desc.length} bytes, ppc64 needs ${PRSTATUS_SIZE}`);
  const le = order === 'le';
  const dv = view(desc);
  return {
    pid: dv.getInt32(PR_PID, le),
    cursig: dv.getInt16(PR_CURSIG, le),
    fpvalid: dv.getInt32(PR_FPVALID, le),
    regs: Array.from({ length: ELF_NGREG }, (_, i) => dv.getBigUint64(PR_REG + i * 8, le)),
  };
}

/** VMCOREINFO descriptor: `KEY=VALUE` lines. */
export function readVmcoreinfo(desc: Uint8Array): Map<string, string> {
  const text = new TextDecoder().decode(desc).replace(/\0+$/, '');
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0)
      throw new Error(`ELF core: VMCOREINFO line ${i + 1} is not KEY=VALUE: ${JSON.stringify(line)}`);
    out.set(line.slice(0, eq), line.slice(eq + 1));
  });
  return out;
}

/** Parses the ELF header, every program header and every note of a ppc64 core (bytes or a path). */
export function readElfCore(input: Uint8Array | string): ElfCore {
  const src = openSource(input);
  try {
    if (src.size < EHDR_SIZE)
      throw new Error(`ELF core: ${src.size} bytes is too short for the ${EHDR_SIZE}-byte ELF header`);
    const eh = src.read(0, EHDR_SIZE, 'ELF header');
    if (eh[0] !== 0x7f || eh[1] !== 0x45 || eh[2] !== 0x4c || eh[3] !== 0x46)
      throw new Error('ELF core: bad magic (not \\x7fELF)');
    if (eh[4] !== 2) throw new Error(`ELF core: EI_CLASS ${eh[4]}, expected 2 (ELFCLASS64)`);
    if (eh[5] !== 1 && eh[5] !== 2)
      throw new Error(`ELF core: EI_DATA ${eh[5]}, expected 1 (LSB) or 2 (MSB)`);
    if (eh[6] !== 1) throw new Error(`ELF core: EI_VERSION ${eh[6]}, expected 1`);
    const order: CoreByteOrder = eh[5] === 1 ? 'le' : 'be';
    const le = order === 'le';
    const dv = view(eh);
    const phoff = safe(dv.getBigUint64(32, le), 'e_phoff');
    const phentsize = dv.getUint16(54, le);
    const phnum = dv.getUint16(56, le);
    if (phnum > 0 && phentsize !== PHDR_SIZE)
      throw new Error(`ELF core: e_phentsize ${phentsize}, expected ${PHDR_SIZE}`);
    const core: ElfCore = {
      order,
      type: dv.getUint16(16, le),
      machine: dv.getUint16(18, le),
      version: dv.getUint32(20, le),
      flags: dv.getUint32(48, le),
      phoff,
      ehsize: dv.getUint16(52, le),
      phentsize,
      phnum,
      osabi: eh[7]!,
      fileSize: src.size,
      phdrs: [],
      notes: [],
      prstatus: [],
    };
    const ph = src.read(phoff, phnum * PHDR_SIZE, 'program header table');
    const pv = view(ph);
    for (let i = 0; i < phnum; i++) {
      const b = i * PHDR_SIZE;
      const p: CorePhdr = {
        type: pv.getUint32(b, le),
        flags: pv.getUint32(b + 4, le),
        offset: safe(pv.getBigUint64(b + 8, le), `phdr ${i} p_offset`),
        vaddr: pv.getBigUint64(b + 16, le),
        paddr: pv.getBigUint64(b + 24, le),
        filesz: safe(pv.getBigUint64(b + 32, le), `phdr ${i} p_filesz`),
        memsz: safe(pv.getBigUint64(b + 40, le), `phdr ${i} p_memsz`),
        align: safe(pv.getBigUint64(b + 48, le), `phdr ${i} p_align`),
      };
      if ((p.type === PT_LOAD || p.type === PT_NOTE) && p.offset + p.filesz > src.size)
        throw new Error(
          `ELF core: phdr ${i} file range [${p.offset}, ${p.offset + p.filesz}) lies beyond the end (${src.size} bytes)`,
        );
      if (p.type === PT_LOAD && p.filesz > p.memsz)
        throw new Error(`ELF core: phdr ${i} PT_LOAD p_filesz ${p.filesz} > p_memsz ${p.memsz}`);
      core.phdrs.push(p);
    }
    core.phdrs.forEach((p, i) => {
      if (p.type !== PT_NOTE) return;
      if (p.filesz > MAX_NOTE_SEGMENT) throw new Error(`ELF core: PT_NOTE ${i} is ${p.filesz} bytes`);
      core.notes.push(...readNotes(src.read(p.offset, p.filesz, `PT_NOTE ${i}`), order, p.offset));
    });
    for (const n of core.notes) {
      if (n.name === 'CORE' && n.type === NT_PRSTATUS) core.prstatus.push(readPrstatus(n.desc, order));
      else if (n.name === 'VMCOREINFO') core.vmcoreinfo = readVmcoreinfo(n.desc);
    }
    return core;
  } finally {
    src.close();
  }
}

/**
 * Reads [paddr, paddr+len) of the crashed system's physical memory through the PT_LOADs
 * (p_paddr → p_offset); bytes past p_filesz up to p_memsz read as zero. Throws for an address no
 * PT_LOAD covers.
 */
export function readPhysical(
  core: ElfCore,
  file: Uint8Array | string,
  paddr: number | bigint,
  len: number,
): Uint8Array {
  const src = openSource(file);
  try {
    const out = new Uint8Array(len);
    const start = BigInt(paddr);
    let done = 0;
    while (done < len) {
      const a = start + BigInt(done);
      const load = core.phdrs.find(
        (p) => p.type === PT_LOAD && a >= p.paddr && a < p.paddr + BigInt(p.memsz),
      );
      if (!load) throw new Error(`ELF core: physical address 0x${a.toString(16)} is in no PT_LOAD`);
      const rel = Number(a - load.paddr);
      const n = Math.min(len - done, load.memsz - rel);
      const inFile = Math.max(0, Math.min(n, load.filesz - rel));
      if (inFile > 0) out.set(src.read(load.offset + rel, inFile, 'PT_LOAD data'), done);
      done += n;
    }
    return out;
  } finally {
    src.close();
  }
}
