// writeSparseFile: a small synthetic ppc64 core (one PT_NOTE with two NT_PRSTATUS notes, one
// mostly-empty 64 MiB PT_LOAD) in both byte orders, written sparse and atomically, read back by the
// independent test reader and — when installed — by readelf, eu-readelf and gdb-multiarch.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadSegment, writeSparseFile } from '../../../dump/sparse-file.ts';
import { zeroRegisters } from '../../../emulator/cpu-thread.ts';
import { BACKING_PAGE, type MemoryView, PhysicalMemory } from '../../../emulator/physical-memory.ts';
import type { ByteOrder } from '../../../emulator/struct.ts';
import {
  ELF64_EHDR,
  ELF64_PHDR,
  elfHeader,
  PF_RWX,
  PT_LOAD,
  PT_NOTE,
  prstatusNote,
  ptRegsFromRegisters,
} from '../../../kernel-model/elf.ts';
import { readElfCore, readPhysical } from '../../support/elf-reader.ts';
import { tools } from '../../support/tools.ts';

const MiB = 2 ** 20;
const RAM = 64 * MiB;
const KERNEL_VBASE = 0xc000000000000000n;
const NIP = [0xc000000000123450n, 0xc00000000009a000n];
const ORDERS = ['le', 'be'] as const;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

function memory(): PhysicalMemory {
  const m = new PhysicalMemory(() => true);
  m.poke(0, new TextEncoder().encode('first page of RAM'));
  m.poke(
    0x100000,
    Uint8Array.from({ length: 32 }, (_, i) => i + 1),
  );
  // Straddles a backing-page boundary: two present pages.
  m.poke(0x30000 - 3, Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff));
  m.poke(RAM - 16, new Uint8Array(16).fill(0x5a));
  return m;
}

/** Ehdr, phdrs right after it, notes 8-aligned, PT_NOTE p_align 0, the load 64 KiB aligned. */
function coreHeader(order: ByteOrder) {
  const notes = NIP.map((nip, i) => {
    const r = zeroRegisters();
    r.nip = nip;
    r.msr = order === 'le' ? 0x8000000000009033n : 0x8000000000009032n;
    r.gpr[1] = 0xc000000001ff0000n + BigInt(i);
    r.lr = 0xc000000000002000n;
    r.trap = 0x300n;
    return prstatusNote(ptRegsFromRegisters(r), i + 1, order);
  });
  const phnum = 2;
  const notesAt = align(ELF64_EHDR.size + phnum * ELF64_PHDR.size, 8);
  const notesLen = notes.reduce((n, b) => n + b.length, 0);
  const loadAt = align(notesAt + notesLen, BACKING_PAGE);
  const header = new Uint8Array(notesAt + notesLen);
  header.set(elfHeader(order, phnum), 0);
  const phdr = (p: Partial<Parameters<typeof ELF64_PHDR.encode>[0]>) => ({ ...ELF64_PHDR.zero(), ...p });
  ELF64_PHDR.encodeInto(
    header,
    ELF64_EHDR.size,
    phdr({
      p_type: PT_NOTE,
      p_offset: BigInt(notesAt),
      p_filesz: BigInt(notesLen),
      p_memsz: BigInt(notesLen),
    }),
    order,
  );
  ELF64_PHDR.encodeInto(
    header,
    ELF64_EHDR.size + ELF64_PHDR.size,
    phdr({
      p_type: PT_LOAD,
      p_flags: PF_RWX,
      p_offset: BigInt(loadAt),
      p_vaddr: KERNEL_VBASE,
      p_paddr: 0n,
      p_filesz: BigInt(RAM),
      p_memsz: BigInt(RAM),
    }),
    order,
  );
  let at = notesAt;
  for (const n of notes) {
    header.set(n, at);
    at += n.length;
  }
  return { header, loadAt };
}

const dirs: string[] = [];

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fadump-vmcore-file-'));
  dirs.push(dir);
  return dir;
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * MiB });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

const cores = new Map<ByteOrder, { path: string; mem: PhysicalMemory; loadAt: number; header: Uint8Array }>();

beforeAll(async () => {
  for (const order of ORDERS) {
    const mem = memory();
    const { header, loadAt } = coreHeader(order);
    const path = join(tmp(), 'vmcore');
    await writeSparseFile(path, header, [{ fileOffset: loadAt, source: mem, sourceAddr: 0, size: RAM }]);
    cores.set(order, { path, mem, loadAt, header });
  }
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('writeSparseFile', () => {
  for (const order of ORDERS) {
    describe(`synthetic 64 MiB core, ${order.toUpperCase()}`, () => {
      it('is sparse, complete and renamed into place', () => {
        const { path, loadAt } = cores.get(order)!;
        const st = statSync(path);
        expect(st.size).toBe(loadAt + RAM);
        // 5 present backing pages of 64 KiB plus the header page; far below 64 MiB.
        expect(st.blocks * 512).toBeLessThan(2 * MiB);
        expect(readdirSync(join(path, '..'))).toEqual(['vmcore']);
      });

      it('holds the header and every byte of the load equals memory.peek', () => {
        const { path, mem, loadAt, header } = cores.get(order)!;
        const file = readFileSync(path);
        expect(file.subarray(0, header.length)).toEqual(Buffer.from(header));
        expect(file.subarray(header.length, loadAt).every((b) => b === 0)).toBe(true);
        expect(Buffer.compare(file.subarray(loadAt), Buffer.from(mem.peek(0, RAM)))).toBe(0);
      });

      it('reads back through the independent reader', () => {
        const { path, mem, loadAt } = cores.get(order)!;
        const core = readElfCore(path);
        expect(core).toMatchObject({ order, type: 4, machine: 21, phoff: 64, phentsize: 56, phnum: 2 });
        expect(core.phdrs).toEqual([
          {
            type: PT_NOTE,
            flags: 0,
            offset: 64 + 2 * 56,
            vaddr: 0n,
            paddr: 0n,
            filesz: 2 * 524,
            memsz: 2 * 524,
            align: 0,
          },
          {
            type: PT_LOAD,
            flags: 7,
            offset: loadAt,
            vaddr: KERNEL_VBASE,
            paddr: 0n,
            filesz: RAM,
            memsz: RAM,
            align: 0,
          },
        ]);
        expect(core.notes.map((n) => [n.name, n.type, n.desc.length])).toEqual([
          ['CORE', 1, 504],
          ['CORE', 1, 504],
        ]);
        expect(core.prstatus.map((p) => [p.pid, p.regs[32]])).toEqual([
          [1, NIP[0]],
          [2, NIP[1]],
        ]);
        for (const [addr, len] of [
          [0x100000, 32],
          [0x30000 - 8, 16],
          [RAM - 32, 32],
        ] as const)
          expect(readPhysical(core, path, addr, len)).toEqual(mem.peek(addr, len));
        expect(() => readPhysical(core, path, RAM, 1)).toThrow(/no PT_LOAD/);
      });
    });
  }

  it('writes only the present pages inside an unaligned source range, at the right file offsets', async () => {
    const mem = new PhysicalMemory(() => true);
    mem.poke(0, new Uint8Array(BACKING_PAGE).fill(1)); // before the range
    mem.poke(0x10000, new Uint8Array(BACKING_PAGE).fill(2)); // partly inside
    mem.poke(0x40000, new Uint8Array(BACKING_PAGE).fill(4)); // partly inside (range end)
    mem.poke(0x50000, new Uint8Array(BACKING_PAGE).fill(5)); // after the range
    const sourceAddr = 0x18000 + 3;
    const size = 0x40000 + 0x123 - sourceAddr;
    const header = Uint8Array.of(1, 2, 3, 4, 5);
    const path = join(tmp(), 'core');
    const loads: LoadSegment[] = [
      { fileOffset: 4099, source: mem, sourceAddr, size },
      // A second load of the same memory, an empty one, and one reaching past the others.
      { fileOffset: 0x80000, source: mem, sourceAddr: 0x10000, size: 0x10 },
      { fileOffset: 0x90000, source: mem, sourceAddr: 0x20000, size: 0 },
      { fileOffset: 0xa0000 + 1, source: mem, sourceAddr: 0x60000, size: 0x20001 },
    ];
    const r = await writeSparseFile(path, header, loads);
    const file = readFileSync(path);
    expect(r.fileSize).toBe(0xa0000 + 1 + 0x20001);
    expect(file.length).toBe(r.fileSize);
    const expected = new Uint8Array(r.fileSize);
    expected.set(header, 0);
    for (const l of loads) expected.set(mem.peek(l.sourceAddr, l.size), l.fileOffset);
    expect(Buffer.compare(file, Buffer.from(expected))).toBe(0);
    // Present bytes inside each range: (0x20000 - sourceAddr) of page 1, 0x123 of page 4, 0x10 of page 1.
    expect(r.bytesWritten).toBe(header.length + (0x20000 - sourceAddr) + 0x123 + 0x10);
  });

  it('batches a long run of present pages (more than one 8 MiB write) correctly', async () => {
    const mem = new PhysicalMemory(() => true);
    const len = 20 * MiB + 0x1234;
    for (let a = 0; a < len; a += BACKING_PAGE)
      mem.poke(a + 7, new Uint8Array(Uint32Array.of(a / BACKING_PAGE + 1).buffer));
    const path = join(tmp(), 'core');
    const r = await writeSparseFile(path, new Uint8Array(0), [
      { fileOffset: 0x100, source: mem, sourceAddr: 5, size: len },
    ]);
    expect(r.fileSize).toBe(0x100 + len);
    const file = readFileSync(path);
    expect(Buffer.compare(file.subarray(0x100), Buffer.from(mem.peek(5, len)))).toBe(0);
    expect(file.subarray(0, 0x100).every((b) => b === 0)).toBe(true);
  });

  it('on failure removes its temporary file and leaves nothing under the final name (the old core is replaced, not kept beside new outputs)', async () => {
    const dir = tmp();
    const path = join(dir, 'vmcore');
    writeFileSync(path, 'old');
    const broken: MemoryView = {
      peek: () => {
        throw new Error('peek failed');
      },
      presentPages: () => [0],
      isPresent: () => true,
    };
    await expect(
      writeSparseFile(path, Uint8Array.of(1), [{ fileOffset: 64, source: broken, sourceAddr: 0, size: 16 }]),
    ).rejects.toThrow('peek failed');
    expect(readdirSync(dir)).toEqual([]);

    // The final name is a directory: refused before anything is written.
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    await expect(writeSparseFile(blocked, Uint8Array.of(1), [])).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['blocked']);
    expect(readdirSync(blocked)).toEqual(['inside']);
  });
});

const readelf = tools.readelf();
const euReadelf = tools.euReadelf();
const gdb = tools.gdb();

describe.runIf(readelf)('readelf -a -W (binutils)', () => {
  for (const order of ORDERS) {
    it(`accepts the ${order.toUpperCase()} core without warnings`, () => {
      const r = run(readelf!, ['-a', '-W', cores.get(order)!.path]);
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/warning/i);
      expect(r.stdout).toMatch(/Type:\s+CORE \(Core file\)/);
      expect(r.stdout).toMatch(/Machine:\s+PowerPC64/);
      expect(r.stdout).toContain(order === 'le' ? 'little endian' : 'big endian');
      expect(r.stdout.match(/NT_PRSTATUS/g)).toHaveLength(2);
    });
  }
});

describe.runIf(euReadelf)('eu-readelf (elfutils)', () => {
  for (const order of ORDERS) {
    it(`-a accepts the ${order.toUpperCase()} core without warnings`, () => {
      const r = run(euReadelf!, ['-a', cores.get(order)!.path]);
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/warning/i);
    });

    it(`-n decodes both PRSTATUS notes of the ${order.toUpperCase()} core`, () => {
      const r = run(euReadelf!, ['-n', cores.get(order)!.path]);
      expect(r.code).toBe(0);
      expect(r.stdout.match(/CORE\s+504\s+PRSTATUS/g)).toHaveLength(2);
      expect(r.stdout).toContain(`nip: 0x${NIP[0]!.toString(16)}`);
      expect(r.stdout).toContain(`nip: 0x${NIP[1]!.toString(16)}`);
      expect(r.stdout).toMatch(/pid:\s+1,/);
      expect(r.stdout).toMatch(/pid:\s+2,/);
    });
  }
});

describe.runIf(gdb)('gdb-multiarch', () => {
  for (const order of ORDERS) {
    it(`lists one thread per NT_PRSTATUS and reads memory by p_vaddr (${order.toUpperCase()})`, () => {
      const { path } = cores.get(order)!;
      const r = run(gdb!, [
        '-nx',
        '-batch',
        '-ex',
        `core-file ${path}`,
        '-ex',
        'info threads',
        '-ex',
        'info registers pc',
        '-ex',
        'x/2gx 0xc000000000100000',
      ]);
      expect(r.error).toBeUndefined();
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\*\s+1\s+LWP 1\b/m);
      expect(r.stdout).toMatch(/^\s+2\s+LWP 2\b/m);
      expect(r.stdout).not.toMatch(/^\s*3\s+/m);
      expect(r.stdout).toMatch(new RegExp(`pc\\s+0x${NIP[0]!.toString(16)}`));
      const word = (bytes: number[]) => {
        const v = new DataView(Uint8Array.from(bytes).buffer).getBigUint64(0, order === 'le');
        return `0x${v.toString(16).padStart(16, '0')}`;
      };
      expect(r.stdout).toContain(
        `0xc000000000100000:\t${word([1, 2, 3, 4, 5, 6, 7, 8])}\t${word([9, 10, 11, 12, 13, 14, 15, 16])}`,
      );
    });
  }
});
