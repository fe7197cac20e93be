// The ELF notes a dump carries, parsed from their bytes: every note's name, type and size, the
// registers of each CORE/NT_PRSTATUS note in order, and the VMCOREINFO note's KEY=VALUE lines with
// where its text lies. The ELF reader finds the notes through PT_NOTE, the kdump reader after the
// kdump sub header (makedumpfile copies the PT_NOTE there byte for byte), and the kdump writer reads
// the notes it copies with this too.

import type { ByteOrder } from '../emulator/struct.ts';
import { ELF_PRSTATUS, ELF64_NHDR, NT_PRSTATUS, PT_REGS, type PtRegs } from '../kernel-model/elf.ts';
import { formatDmesgLine, readPrintkRing } from '../kernel-model/printk-ring.ts';
import { KERNEL_VBASE } from '../kernel-model/symbols.ts';
import { DumpFileError } from './dump-reader.ts';

const PR_REG = ELF_PRSTATUS.offsetOf('pr_reg');
const PR_PID = ELF_PRSTATUS.offsetOf('pr_pid');

export interface ParsedNotes {
  notes: { name: string; type: number; descsz: number }[];
  cpus: { pid: number; regs: PtRegs }[];
  vmcoreinfo: Record<string, string> | null;
  /** Where the VMCOREINFO text lies in the bytes parsed, and its length (n_descsz). */
  vmcoreinfoAt: { offset: number; size: number } | null;
}

/** Parses note records back to back (up to an empty one); `fileOffset` places errors in the file. */
export function parseNotes(seg: Uint8Array, order: ByteOrder, fileOffset: number): ParsedNotes {
  const out: ParsedNotes = { notes: [], cpus: [], vmcoreinfo: null, vmcoreinfoAt: null };
  let off = 0;
  while (off + ELF64_NHDR.size <= seg.length) {
    const n = ELF64_NHDR.decode(seg, order, off);
    if (n.n_namesz === 0 && n.n_descsz === 0) break;
    const nameLen = Math.ceil(n.n_namesz / 4) * 4;
    const descLen = Math.ceil(n.n_descsz / 4) * 4;
    const nameAt = off + ELF64_NHDR.size;
    const end = nameAt + nameLen + descLen;
    if (end > seg.length) throw new DumpFileError('a note runs past its segment', fileOffset + off);
    const name = new TextDecoder().decode(seg.subarray(nameAt, nameAt + Math.max(0, n.n_namesz - 1)));
    const descAt = nameAt + nameLen;
    const desc = seg.subarray(descAt, descAt + n.n_descsz);
    out.notes.push({ name, type: n.n_type, descsz: n.n_descsz });
    if (name === 'CORE' && n.n_type === NT_PRSTATUS && desc.length >= ELF_PRSTATUS.size) {
      const pid = new DataView(desc.buffer, desc.byteOffset + PR_PID, 4).getInt32(0, order === 'le');
      out.cpus.push({ pid, regs: PT_REGS.decode(desc, order, PR_REG) });
    }
    if (name === 'VMCOREINFO') {
      out.vmcoreinfo = parseVmcoreinfo(new TextDecoder().decode(desc));
      out.vmcoreinfoAt = { offset: descAt, size: n.n_descsz };
    }
    off = end;
  }
  return out;
}

/** VMCOREINFO's KEY=VALUE lines as a record. */
export function parseVmcoreinfo(text: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) keys[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return keys;
}

/**
 * The kernel log, as vmcore-dmesg prints it, from the printk ring VMCOREINFO's SYMBOL(prb) points at,
 * read through `read` (crash-time physical memory as the dump holds it); empty without one.
 */
export function kernelLog(
  vmcoreinfo: Record<string, string> | null,
  order: ByteOrder,
  read: (paddr: number, len: number) => Uint8Array,
): string[] {
  const paddr = symbolPaddr(vmcoreinfo, 'prb');
  if (paddr === undefined) return [];
  const view = { peek: read, presentPages: () => [], isPresent: () => false };
  return readPrintkRing(view, order, paddr).map(formatDmesgLine);
}

/** The physical address of VMCOREINFO's SYMBOL(name) in the linear map, or undefined without one. */
export function symbolPaddr(vmcoreinfo: Record<string, string> | null, name: string): number | undefined {
  const v = vmcoreinfo?.[`SYMBOL(${name})`];
  if (!v || !/^[0-9a-f]+$/i.test(v)) return undefined;
  // u64 arithmetic, as in C: a damaged address wraps rather than overflowing.
  return Number(BigInt.asUintN(64, BigInt(`0x${v}`) - KERNEL_VBASE));
}
