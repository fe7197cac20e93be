// Reads an ELF core back for `fadump-sim inspect`: headers, notes, the registers in each PRSTATUS,
// VMCOREINFO, and the kernel log found through VMCOREINFO and the PT_LOADs. Hostile input ends in
// one VmcoreError saying what is wrong and where; every read is bounded by the file's size.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { MemoryView } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import { ELF64_EHDR, ELF64_NHDR, ELF64_PHDR, ET_CORE, NT_PRSTATUS, PT_LOAD, PT_NOTE } from './elf.ts';
import { formatDmesgLine, readPrintkRing } from './printk-ring.ts';
import { KERNEL_VBASE } from './symbols.ts';

export class VmcoreError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** Largest note segment the reader accepts. */
const MAX_NOTES = 64 * 2 ** 20;

export interface VmcoreReport {
  order: ByteOrder;
  machine: number;
  phdrs: {
    type: number;
    offset: bigint;
    vaddr: bigint;
    paddr: bigint;
    filesz: bigint;
    memsz: bigint;
    align: bigint;
  }[];
  notes: { name: string; type: number; descsz: number }[];
  cpus: { pid: number; nip: bigint; msr: bigint; lr: bigint; r1: bigint }[];
  vmcoreinfo: Record<string, string>;
  dmesg: string[];
}

export function readVmcore(path: string): VmcoreReport {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (at: number | bigint, len: number, what: string): Uint8Array => {
      const off = Number(at);
      if (off < 0 || len < 0 || off + len > size)
        throw new VmcoreError(`${what} lies beyond the end of the file (${size} bytes)`, off);
      const b = new Uint8Array(len);
      readSync(fd, b, 0, len, off);
      return b;
    };
    const ident = read(0, 16, 'the ELF header');
    if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
      throw new VmcoreError('not an ELF file', 0);
    }
    if (ident[4] !== 2) throw new VmcoreError(`ELF class ${ident[4]}: only 64-bit cores are read`, 4);
    if (ident[5] !== 1 && ident[5] !== 2) throw new VmcoreError(`unknown ELF data encoding ${ident[5]}`, 5);
    const order: ByteOrder = ident[5] === 1 ? 'le' : 'be';
    const eh = ELF64_EHDR.decode(read(0, ELF64_EHDR.size, 'the ELF header'), order);
    if (eh.e_type !== ET_CORE) throw new VmcoreError(`ELF type ${eh.e_type} is not a core file (4)`, 16);
    if (eh.e_phentsize !== ELF64_PHDR.size)
      throw new VmcoreError(`program header size ${eh.e_phentsize}, expected 56`, 54);
    const phdrs = [];
    for (let i = 0; i < eh.e_phnum; i++) {
      const at = Number(eh.e_phoff) + i * ELF64_PHDR.size;
      const p = ELF64_PHDR.decode(read(at, ELF64_PHDR.size, `program header ${i}`), order);
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
    const notes: VmcoreReport['notes'] = [];
    const cpus: VmcoreReport['cpus'] = [];
    const vmcoreinfo: Record<string, string> = {};
    for (const p of phdrs.filter((x) => x.type === PT_NOTE)) {
      if (p.filesz > BigInt(MAX_NOTES))
        throw new VmcoreError(`a note segment of ${p.filesz} bytes`, Number(p.offset));
      const seg = read(p.offset, Number(p.filesz), 'a note segment');
      let off = 0;
      while (off + ELF64_NHDR.size <= seg.length) {
        const n = ELF64_NHDR.decode(seg, order, off);
        if (n.n_namesz === 0 && n.n_descsz === 0) break;
        const nameLen = Math.ceil(n.n_namesz / 4) * 4;
        const descLen = Math.ceil(n.n_descsz / 4) * 4;
        const end = off + ELF64_NHDR.size + nameLen + descLen;
        if (end > seg.length) throw new VmcoreError('a note runs past its segment', Number(p.offset) + off);
        const name = new TextDecoder().decode(seg.subarray(off + 12, off + 12 + Math.max(0, n.n_namesz - 1)));
        const desc = seg.subarray(off + 12 + nameLen, off + 12 + nameLen + n.n_descsz);
        notes.push({ name, type: n.n_type, descsz: n.n_descsz });
        if (name === 'CORE' && n.n_type === NT_PRSTATUS && desc.length >= 112 + 48 * 8) {
          const v = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
          const le = order === 'le';
          const reg = (i: number) => v.getBigUint64(112 + i * 8, le);
          cpus.push({ pid: v.getInt32(32, le), nip: reg(32), msr: reg(33), lr: reg(36), r1: reg(1) });
        }
        if (name === 'VMCOREINFO') {
          for (const line of new TextDecoder().decode(desc).split('\n')) {
            const eq = line.indexOf('=');
            if (eq > 0) vmcoreinfo[line.slice(0, eq)] = line.slice(eq + 1);
          }
        }
        off = end;
      }
    }
    // The kernel log, through the PT_LOADs, when VMCOREINFO says where the printk ring is.
    const loads = phdrs.filter((p) => p.type === PT_LOAD);
    const view: MemoryView = {
      peek(addr: number, len: number): Uint8Array {
        const out = new Uint8Array(len);
        const l = loads.find((x) => BigInt(addr) >= x.paddr && BigInt(addr + len) <= x.paddr + x.filesz);
        if (!l) return out;
        const at = l.offset + (BigInt(addr) - l.paddr);
        if (at + BigInt(len) <= BigInt(size)) readSync(fd, out, 0, len, Number(at));
        return out;
      },
      presentPages: () => [],
      isPresent: () => false,
    };
    const prb = vmcoreinfo['SYMBOL(prb)'];
    const dmesg = prb
      ? readPrintkRing(view, order, Number(BigInt(`0x${prb}`) - KERNEL_VBASE)).map(formatDmesgLine)
      : [];
    return { order, machine: eh.e_machine, phdrs, notes, cpus, vmcoreinfo, dmesg };
  } finally {
    closeSync(fd);
  }
}
