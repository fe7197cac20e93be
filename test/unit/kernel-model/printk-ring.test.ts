import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../emulator/physical-memory.ts';
import {
  COUNT_BITS,
  formatDmesgLine,
  PRB_DESC,
  PRINTK_INFO,
  PRINTK_RINGBUFFER,
  PrintkRing,
  readPrintkRing,
} from '../../../kernel-model/printk-ring.ts';
import { SYMBOLS } from '../../../kernel-model/symbols.ts';
import {
  appendCrashTime,
  readVmcoreinfo,
  VMCOREINFO_NOTE_SIZE,
  vmcoreinfoText,
  writeVmcoreinfoNote,
} from '../../../kernel-model/vmcoreinfo.ts';

describe('printk ring', () => {
  it('has the struct sizes and offsets the dump tools read (what vmcore-dmesg and makedumpfile read)', () => {
    expect([PRINTK_RINGBUFFER.size, PRB_DESC.size, PRINTK_INFO.size]).toEqual([80, 24, 88]);
    expect(PRINTK_RINGBUFFER.offsetOf('size_bits')).toBe(40);
    expect(PRINTK_RINGBUFFER.offsetOf('tail_id')).toBe(32);
    expect([PRINTK_INFO.offsetOf('ts_nsec'), PRINTK_INFO.offsetOf('text_len')]).toEqual([8, 16]);
  });

  for (const order of ['le', 'be'] as const) {
    it(`reads back what was appended (${order}), continuing a ring already in memory`, () => {
      const mem = new PhysicalMemory(() => true);
      new PrintkRing(mem, order).init();
      new PrintkRing(mem, order).append(0n, 6, 'first');
      new PrintkRing(mem, order).append(1_500_000n, 0, 'second\nline');
      const recs = readPrintkRing(mem, order);
      expect(recs.map((r) => [r.seq, r.text, r.level])).toEqual([
        [0n, 'first', 6],
        [1n, 'second\nline', 0],
      ]);
      expect(formatDmesgLine(recs[1]!)).toBe('[    0.001500] second\nline');
    });
  }

  it('wraps the text ring and evicts the oldest records, keeping the newest in order', () => {
    const mem = new PhysicalMemory(() => true);
    const ring = new PrintkRing(mem, 'le');
    ring.init();
    const total = 3 * 2 ** COUNT_BITS + 17;
    for (let i = 0; i < total; i++) ring.append(BigInt(i) * 1000n, 6, `message ${i} ${'x'.repeat(i % 97)}`);
    const recs = readPrintkRing(mem, 'le');
    expect(recs.length).toBeGreaterThan(1000);
    expect(recs.at(-1)!.text).toMatch(new RegExp(`^message ${total - 1} `));
    recs.forEach((r, i) => {
      if (i > 0) expect(r.seq).toBe(recs[i - 1]!.seq + 1n);
      expect(r.text.startsWith(`message ${Number(r.seq)} `)).toBe(true);
    });
  });

  it('a reader on garbage memory returns without throwing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 80, maxLength: 80 }),
        fc.uint8Array({ minLength: 64, maxLength: 512 }),
        (rb, junk) => {
          const mem = new PhysicalMemory(() => true);
          new PrintkRing(mem, 'le').init();
          mem.poke(SYMBOLS.printk_rb_static, rb);
          mem.poke(SYMBOLS.printk_descs, junk);
          readPrintkRing(mem, 'le');
        },
      ),
      { seed: 5, numRuns: 200 },
    );
  });
});

describe('vmcoreinfo note', () => {
  for (const order of ['le', 'be'] as const) {
    it(`is a VMCOREINFO ELF note that gains CRASHTIME at a crash (${order})`, () => {
      const mem = new PhysicalMemory(() => true);
      writeVmcoreinfoNote(mem, order, vmcoreinfoText({ order, memoryEnd: 2 ** 31 }));
      const note = mem.peek(SYMBOLS.vmcoreinfo_note, VMCOREINFO_NOTE_SIZE);
      const v = new DataView(note.buffer);
      const le = order === 'le';
      expect(v.getUint32(0, le)).toBe(11);
      expect(v.getUint32(8, le)).toBe(0);
      expect(new TextDecoder().decode(note.subarray(12, 23))).toBe('VMCOREINFO\0');
      appendCrashTime(mem, order, 1767225700n);
      const keys = readVmcoreinfo(mem, order, SYMBOLS.vmcoreinfo_note)!;
      expect(keys.get('OSRELEASE')).toBe('6.15.0-fadump-sim');
      expect(keys.get('SYMBOL(prb)')).toBe((0xc000000000000000n + BigInt(SYMBOLS.prb)).toString(16));
      expect(keys.get('CRASHTIME')).toBe('1767225700');
      const descsz = new DataView(mem.peek(SYMBOLS.vmcoreinfo_note, 12).buffer).getUint32(4, le);
      const end = SYMBOLS.vmcoreinfo_note + 24 + Math.ceil(descsz / 4) * 4;
      expect([...mem.peek(end, 12)]).toEqual(new Array(12).fill(0));
    });
  }
});
