// The ELF64 core tables in kernel-model/elf.ts against the published sizes and offsets (System V
// gABI, Linux kernel/printk/printk_ringbuffer.h, Linux fadump.c (fadump_populate_elfcorehdr)), their round trips in both byte orders, and the
// NT_PRSTATUS note bytes read back by the independent test reader.
import { describe, expect, it } from 'vitest';
import { type Registers, zeroRegisters } from '../../../emulator/cpu-thread.ts';
import type { ByteOrder, Field, FieldLayout } from '../../../emulator/struct.ts';
import {
  ELF_PRSTATUS,
  ELF64_EHDR,
  ELF64_NHDR,
  ELF64_PHDR,
  EM_PPC64,
  ET_CORE,
  elfHeader,
  NOTE_BUF_BYTES,
  NT_PRSTATUS,
  noteBytes,
  PF_RWX,
  PRSTATUS_NOTE_SIZE,
  PT_LOAD,
  PT_NOTE,
  PT_NULL,
  PT_REGS,
  prstatusNote,
  ptRegsFromRegisters,
} from '../../../kernel-model/elf.ts';
import { readElfCore, readNotes, readPrstatus } from '../../support/elf-reader.ts';

const ORDERS = ['le', 'be'] as const;

/** What the tests use of a table, for any of the five (methods compare bivariantly). */
interface Table {
  name: string;
  size: number;
  fields: readonly Field[];
  layout: readonly FieldLayout[];
  offsetOf(name: string): number;
  encode(value: Record<string, unknown>, order?: ByteOrder): Uint8Array;
  decode(bytes: Uint8Array, order?: ByteOrder): unknown;
  validate(bytes: Uint8Array, order?: ByteOrder): string[];
}

/** Published layouts: [field, offset, size]. */
const PUBLISHED: [Table, number, [string, number, number][]][] = [
  [
    ELF64_EHDR,
    64,
    [
      ['e_ident', 0, 16],
      ['e_type', 16, 2],
      ['e_machine', 18, 2],
      ['e_version', 20, 4],
      ['e_entry', 24, 8],
      ['e_phoff', 32, 8],
      ['e_shoff', 40, 8],
      ['e_flags', 48, 4],
      ['e_ehsize', 52, 2],
      ['e_phentsize', 54, 2],
      ['e_phnum', 56, 2],
      ['e_shentsize', 58, 2],
      ['e_shnum', 60, 2],
      ['e_shstrndx', 62, 2],
    ],
  ],
  [
    ELF64_PHDR,
    56,
    [
      ['p_type', 0, 4],
      ['p_flags', 4, 4],
      ['p_offset', 8, 8],
      ['p_vaddr', 16, 8],
      ['p_paddr', 24, 8],
      ['p_filesz', 32, 8],
      ['p_memsz', 40, 8],
      ['p_align', 48, 8],
    ],
  ],
  [
    ELF64_NHDR,
    12,
    [
      ['n_namesz', 0, 4],
      ['n_descsz', 4, 4],
      ['n_type', 8, 4],
    ],
  ],
  [
    PT_REGS,
    384,
    [
      ['gpr', 0, 256],
      ['nip', 256, 8],
      ['msr', 264, 8],
      ['orig_gpr3', 272, 8],
      ['ctr', 280, 8],
      ['link', 288, 8],
      ['xer', 296, 8],
      ['ccr', 304, 8],
      ['softe', 312, 8],
      ['trap', 320, 8],
      ['dar', 328, 8],
      ['dsisr', 336, 8],
      ['result', 344, 8],
      ['ppr', 352, 8],
      ['exit_result', 360, 8],
      ['kuap', 368, 8],
      ['iamr', 376, 8],
    ],
  ],
  [
    ELF_PRSTATUS,
    504,
    [
      ['si_signo', 0, 4],
      ['si_code', 4, 4],
      ['si_errno', 8, 4],
      ['pr_cursig', 12, 2],
      ['pr_sigpend', 16, 8],
      ['pr_sighold', 24, 8],
      ['pr_pid', 32, 4],
      ['pr_ppid', 36, 4],
      ['pr_pgrp', 40, 4],
      ['pr_sid', 44, 4],
      ['pr_times', 48, 64],
      ['pr_reg', 112, 384],
      ['pr_fpvalid', 496, 4],
    ],
  ],
];

const WIDTH: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i16: 2, i32: 4, i64: 8 };

/** A value for every field, each element different, read back below with plain DataView calls. */
function sample(def: Table): Record<string, unknown> {
  let seed = 1;
  const next = (type: string): number | bigint => {
    seed++;
    switch (type) {
      case 'u64':
        return (0x0102030405060708n * BigInt(seed)) & 0x7fffffffffffffffn;
      case 'i64':
        return -BigInt(seed) * 0x1000n;
      case 'u32':
        return (0x01020304 * seed) >>> 0;
      case 'i32':
        return -seed * 0x101;
      case 'u16':
        return (0x0102 * seed) & 0xffff;
      case 'i16':
        return -seed;
      default:
        return seed & 0xff;
    }
  };
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    if (f.reserved) continue;
    if (f.type === 'bytes')
      out[f.name] = Uint8Array.from({ length: f.size }, (_, i) => (i * 7 + seed) & 0xff);
    else if (f.count !== undefined) out[f.name] = Array.from({ length: f.count }, () => next(f.type));
    else out[f.name] = next(f.type);
  }
  return out;
}

function readAt(dv: DataView, at: number, type: string, le: boolean): number | bigint {
  switch (type) {
    case 'u64':
      return dv.getBigUint64(at, le);
    case 'i64':
      return dv.getBigInt64(at, le);
    case 'u32':
      return dv.getUint32(at, le);
    case 'i32':
      return dv.getInt32(at, le);
    case 'u16':
      return dv.getUint16(at, le);
    case 'i16':
      return dv.getInt16(at, le);
    default:
      return dv.getUint8(at);
  }
}

describe('ELF64 core tables', () => {
  it('have the published sizes and constants', () => {
    expect([ELF64_EHDR.size, ELF64_PHDR.size, ELF64_NHDR.size, PT_REGS.size, ELF_PRSTATUS.size]).toEqual([
      64, 56, 12, 384, 504,
    ]);
    expect({ EM_PPC64, ET_CORE, PT_NULL, PT_LOAD, PT_NOTE, NT_PRSTATUS, PF_RWX }).toEqual({
      EM_PPC64: 21,
      ET_CORE: 4,
      PT_NULL: 0,
      PT_LOAD: 1,
      PT_NOTE: 4,
      NT_PRSTATUS: 1,
      PF_RWX: 7,
    });
    // Nhdr + "CORE\0" padded to 8 + elf_prstatus; note_buf_t adds the final empty Nhdr.
    expect(PRSTATUS_NOTE_SIZE).toBe(12 + 8 + 504);
    expect(NOTE_BUF_BYTES).toBe(2 * 12 + 8 + 504);
  });

  for (const [def, size, fields] of PUBLISHED) {
    it(`${def.name}: every field at its published offset`, () => {
      expect(def.size).toBe(size);
      const named = def.layout.filter((l) => !l.reserved).map((l) => [l.name, l.offset, l.size]);
      expect(named).toEqual(fields);
      for (const [name, offset] of fields) expect(def.offsetOf(name)).toBe(offset);
      // Reserved fields only fill the gaps: the bytes are accounted for exactly once.
      const covered = def.layout.reduce((n, l) => n + l.size, 0);
      expect(covered).toBe(size);
    });

    for (const order of ORDERS) {
      it(`${def.name}: round trip ${order.toUpperCase()}, each field in ${order} byte order at its offset`, () => {
        const value = sample(def);
        const bytes = def.encode(value, order);
        expect(bytes.length).toBe(size);
        expect(def.decode(bytes, order)).toEqual(value);
        expect(def.validate(bytes, order)).toEqual([]);
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const le = order === 'le';
        for (const f of def.fields) {
          if (f.reserved) continue;
          const at = fields.find(([n]) => n === f.name)![1];
          const v = value[f.name];
          if (f.type === 'bytes') expect(bytes.subarray(at, at + f.size)).toEqual(v);
          else if (f.count !== undefined) {
            const w = WIDTH[f.type]!;
            const got = Array.from({ length: f.count }, (_, j) => readAt(dv, at + j * w, f.type, le));
            expect(got).toEqual(v);
          } else expect(readAt(dv, at, f.type, le)).toBe(v);
        }
        // Reserved padding encodes as zero.
        for (const l of def.layout.filter((x) => x.reserved))
          expect(bytes.subarray(l.offset, l.offset + l.size).every((b) => b === 0)).toBe(true);
      });
    }
  }

  it('decode of the other byte order gives byte-swapped scalars', () => {
    const le = ELF64_NHDR.encode({ n_namesz: 5, n_descsz: 504, n_type: 1 }, 'le');
    expect(Array.from(le)).toEqual([5, 0, 0, 0, 0xf8, 1, 0, 0, 1, 0, 0, 0]);
    expect(ELF64_NHDR.decode(le, 'be')).toEqual({
      n_namesz: 0x05000000,
      n_descsz: 0xf8010000,
      n_type: 0x01000000,
    });
  });
});

describe('elfHeader', () => {
  for (const order of ORDERS) {
    it(`writes a ppc64 ET_CORE header (${order.toUpperCase()}, Linux fadump.c (fadump_populate_elfcorehdr))`, () => {
      const h = elfHeader(order, 3);
      expect(h.length).toBe(64);
      expect(Array.from(h.subarray(0, 16))).toEqual([
        0x7f,
        0x45,
        0x4c,
        0x46,
        2,
        order === 'le' ? 1 : 2,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]);
      const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
      const le = order === 'le';
      expect(dv.getUint16(16, le)).toBe(4);
      expect(dv.getUint16(18, le)).toBe(21);
      expect(dv.getUint32(20, le)).toBe(1);
      expect(dv.getBigUint64(24, le)).toBe(0n);
      expect(dv.getBigUint64(32, le)).toBe(64n);
      expect(dv.getBigUint64(40, le)).toBe(0n);
      expect(dv.getUint32(48, le)).toBe(le ? 2 : 1);
      expect([52, 54, 56, 58, 60, 62].map((o) => dv.getUint16(o, le))).toEqual([64, 56, 3, 0, 0, 0]);

      // The independent reader agrees (header alone with phnum 0 is a complete file).
      const core = readElfCore(elfHeader(order, 0));
      expect(core).toMatchObject({
        order,
        type: 4,
        machine: 21,
        version: 1,
        flags: le ? 2 : 1,
        phoff: 64,
        ehsize: 64,
        phentsize: 56,
        phnum: 0,
        osabi: 0,
      });
    });
  }
});

function registers(): Registers {
  const r = zeroRegisters();
  r.gpr = Array.from({ length: 32 }, (_, i) => 0x1000n * BigInt(i) + 0xc000000000000000n + BigInt(i));
  r.nip = 0xc000000000123450n;
  r.msr = 0x8000000000009033n;
  r.orig_gpr3 = 0x33n;
  r.ctr = 0xc0ffee00n;
  r.lr = 0xc000000000002000n;
  r.xer = 0x20000000n;
  r.cr = 0x28002482n;
  r.softe = 0x1n;
  r.trap = 0x300n;
  r.dar = 0xdeadbeef0n;
  r.dsisr = 0x42000000n;
  r.spr.AMR = 0xfffn;
  r.spr.IAMR = 0xeeen;
  return r;
}

/** pr_reg as Linux fadump.c (fadump_regs_to_elf_notes) maps it: pt_regs longs in order, 44..47 = 0 for firmware registers. */
function expectedPrReg(r: Registers): bigint[] {
  return [
    ...r.gpr,
    r.nip,
    r.msr,
    r.orig_gpr3,
    r.ctr,
    r.lr,
    r.xer,
    r.cr,
    r.softe,
    r.trap,
    r.dar,
    r.dsisr,
    0n, // result
    0n,
    0n,
    0n,
    0n, // ppr, exit_result, kuap, iamr
  ];
}

describe('ptRegsFromRegisters', () => {
  it('maps Registers onto pt_regs (lr→link, cr→ccr), leaving result and the union zero', () => {
    const r = registers();
    const p = ptRegsFromRegisters(r);
    expect(p).toEqual({
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
      result: 0n,
      ppr: 0n,
      exit_result: 0n,
      kuap: 0n,
      iamr: 0n,
    });
    expect(p.gpr).not.toBe(r.gpr);
    p.gpr[1] = 0n;
    expect(r.gpr[1]).not.toBe(0n);
  });

  for (const order of ORDERS) {
    it(`encodes to the pr_reg word order (${order.toUpperCase()})`, () => {
      const r = registers();
      const bytes = PT_REGS.encode(ptRegsFromRegisters(r), order);
      const dv = new DataView(bytes.buffer);
      const words = Array.from({ length: 48 }, (_, i) => dv.getBigUint64(i * 8, order === 'le'));
      expect(words).toEqual(expectedPrReg(r));
    });
  }
});

describe('noteBytes', () => {
  for (const order of ORDERS) {
    it(`pads name and descriptor to 4 (${order.toUpperCase()})`, () => {
      const desc = new TextEncoder().encode('A=1\nB');
      const n = noteBytes('VMCOREINFO', 0, desc, order);
      expect(n.length).toBe(12 + 12 + 8);
      const dv = new DataView(n.buffer);
      const le = order === 'le';
      expect([dv.getUint32(0, le), dv.getUint32(4, le), dv.getUint32(8, le)]).toEqual([11, 5, 0]);
      expect(new TextDecoder().decode(n.subarray(12, 23))).toBe('VMCOREINFO\0');
      expect(Array.from(n.subarray(23, 24))).toEqual([0]);
      expect(Array.from(n.subarray(29, 32))).toEqual([0, 0, 0]);
      const [note, ...rest] = readNotes(n, order);
      expect(rest).toEqual([]);
      expect(note).toMatchObject({ name: 'VMCOREINFO', type: 0, desc });
    });
  }

  it('writes an exactly 4-aligned name without extra padding', () => {
    const n = noteBytes('ABC', 7, new Uint8Array(4).fill(9), 'be');
    expect(n.length).toBe(12 + 4 + 4);
    expect(readNotes(n, 'be')).toMatchObject([{ name: 'ABC', type: 7, desc: new Uint8Array(4).fill(9) }]);
  });
});

describe('prstatusNote', () => {
  for (const order of ORDERS) {
    it(`is the 524-byte "CORE" NT_PRSTATUS note the kernel writes (${order.toUpperCase()})`, () => {
      const r = registers();
      const note = prstatusNote(ptRegsFromRegisters(r), 4242, order);
      expect(note.length).toBe(PRSTATUS_NOTE_SIZE);
      const dv = new DataView(note.buffer, note.byteOffset, note.byteLength);
      const le = order === 'le';
      expect([dv.getUint32(0, le), dv.getUint32(4, le), dv.getUint32(8, le)]).toEqual([5, 504, 1]);
      expect(Array.from(note.subarray(12, 20))).toEqual([0x43, 0x4f, 0x52, 0x45, 0, 0, 0, 0]);

      const notes = readNotes(note, order);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatchObject({ name: 'CORE', type: 1 });
      const desc = notes[0]!.desc;
      expect(desc.length).toBe(504);
      const ps = readPrstatus(desc, order);
      expect(ps).toEqual({ pid: 4242, cursig: 0, fpvalid: 0, regs: expectedPrReg(r) });
      // Everything but pr_pid and pr_reg is zero (kernel fadump_regs_to_elf_notes).
      expect(desc.subarray(0, 32).every((b) => b === 0)).toBe(true);
      expect(desc.subarray(36, 112).every((b) => b === 0)).toBe(true);
      expect(desc.subarray(496, 504).every((b) => b === 0)).toBe(true);
      // pr_reg is pt_regs verbatim.
      expect(desc.subarray(112, 496)).toEqual(PT_REGS.encode(ptRegsFromRegisters(r), order));
    });
  }

  it('leaves pr_pid 0 when asked (what a real kdump writes)', () => {
    const note = prstatusNote(ptRegsFromRegisters(registers()), 0, 'le');
    expect(readPrstatus(readNotes(note, 'le')[0]!.desc, 'le').pid).toBe(0);
  });

  it('decodes back through ELF_PRSTATUS', () => {
    const r = registers();
    for (const order of ORDERS) {
      const v = ELF_PRSTATUS.decode(prstatusNote(ptRegsFromRegisters(r), 9, order), order, 20);
      expect(v.pr_pid).toBe(9);
      expect(v.pr_reg).toEqual(expectedPrReg(r));
    }
  });
});

describe('the independent reader rejects malformed input clearly', () => {
  it('short, bad magic, wrong class, truncated phdrs, overrunning note, wrong prstatus size', () => {
    expect(() => readElfCore(new Uint8Array(10))).toThrow(/too short/);
    const h = elfHeader('le', 0);
    expect(() => readElfCore(Uint8Array.of(0, ...h.subarray(1)))).toThrow(/magic/);
    const c32 = h.slice();
    c32[4] = 1;
    expect(() => readElfCore(c32)).toThrow(/EI_CLASS/);
    expect(() => readElfCore(elfHeader('le', 2))).toThrow(/program header table.*beyond the end/);
    const note = noteBytes('CORE', 1, new Uint8Array(8), 'le');
    expect(() => readNotes(note.subarray(0, 16), 'le')).toThrow(/overruns/);
    expect(() => readNotes(note, 'le').map((n) => readPrstatus(n.desc, 'le'))).toThrow(/504/);
  });
});
