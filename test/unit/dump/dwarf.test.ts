// The DWARF writer refuses a table whose C declaration does not fit it, and its layout is what it
// says: the unit's length, references within the unit, every string in .debug_str.
import { describe, expect, it } from 'vitest';
import { cDeclaration, cTypeSize, DwarfError, writeDwarf } from '../../../dump/dwarf.ts';
import { VMLINUX_STRUCTS, writeVmlinux } from '../../../dump/vmlinux-writer.ts';
import { defineStruct } from '../../../emulator/struct.ts';
import { PRINTK_INFO, PRINTK_RINGBUFFER } from '../../../kernel-model/printk-ring.ts';
import { OSRELEASE } from '../../../kernel-model/symbols.ts';
import { TEXT_BYTES, textPages } from '../../../kernel-model/vmlinux.ts';

const table = (fields: Parameters<typeof defineStruct>[0]['fields'], size: number) =>
  defineStruct({ name: 'probe', size, order: 'native', spec: 'test', fields });
const dwarf = (s: ReturnType<typeof table>) =>
  writeDwarf({ order: 'le', producer: 't', unitName: 't', structs: [s], variables: [] });

describe('dwarf', () => {
  it('refuses a C type that does not fit its field, and an unknown one', () => {
    expect(() =>
      dwarf(table([{ name: 'a', type: 'u32', doc: '', c: { type: 'unsigned long' } }], 4)),
    ).toThrow(new DwarfError('probe.a: unsigned long (8 bytes) does not fit a u32 field'));
    expect(() => dwarf(table([{ name: 'a', type: 'u64', doc: '', c: { type: 'kernel_ulong' } }], 8))).toThrow(
      "unknown C type 'kernel_ulong'",
    );
    expect(() =>
      dwarf(table([{ name: 'a', type: 'u8', doc: '', c: { bits: [{ name: 'x', width: 9 }] } }], 1)),
    ).toThrow('bit-fields of 9 bits do not fit the field');
    expect(() => dwarf(table([{ name: 'a', type: 'u64', doc: '', c: { in: 'inner' } }], 8))).toThrow(
      'probe: no c.nested type for member inner',
    );
  });

  it('sizes C types as the tables lay them out', () => {
    expect(cTypeSize('struct printk_ringbuffer', VMLINUX_STRUCTS)).toBe(PRINTK_RINGBUFFER.size);
    expect(cTypeSize('struct printk_info[8]', VMLINUX_STRUCTS)).toBe(8 * PRINTK_INFO.size);
    expect(cTypeSize('atomic_long_t', [])).toBe(8);
    expect(cTypeSize('struct prb_desc_ring', VMLINUX_STRUCTS)).toBe(40);
    expect(cTypeSize('char *', [])).toBe(8);
    expect(cTypeSize('struct cpu_spec', [])).toBeUndefined();
  });

  it('declares fields as C does', () => {
    const [count, , descs] = PRINTK_RINGBUFFER.fields;
    expect(cDeclaration(count)).toBe('desc_ring.count_bits: unsigned int');
    expect(cDeclaration(PRINTK_RINGBUFFER.fields[1])).toBe('');
    expect(cDeclaration(descs)).toBe('desc_ring.descs: struct prb_desc *');
    expect(cDeclaration(PRINTK_INFO.fields[4])).toBe('flags: u8 : 5; level: u8 : 3');
  });

  it('writes one unit whose length, references and strings hold together', () => {
    for (const order of ['le', 'be'] as const) {
      const d = writeDwarf({
        order,
        producer: 'p',
        unitName: 'u',
        structs: VMLINUX_STRUCTS,
        variables: [{ name: 'prb', type: 'struct printk_ringbuffer *', address: 0xc000000001901000n }],
      });
      const view = new DataView(d.info.buffer);
      expect(view.getUint32(0, order === 'le')).toBe(d.info.length - 4);
      expect(view.getUint16(4, order === 'le')).toBe(4);
      const text = new TextDecoder().decode(d.str);
      for (const name of ['printk_ringbuffer', 'prb_desc_ring', 'count_bits', 'atomic_long_t', 'prb'])
        expect(text.split('\0')).toContain(name);
      // The abbreviation table ends with a 0 code.
      expect(d.abbrev.at(-1)).toBe(0);
    }
  });

  it("the vmlinux's text is the bytes memory holds at _stext, per release and byte order", () => {
    for (const [order, osrelease] of [
      ['le', OSRELEASE],
      ['be', OSRELEASE],
      ['le', '6.10.0-fadump-sim'],
    ] as const) {
      const v = writeVmlinux({ order, osrelease });
      expect(v[5]).toBe(order === 'le' ? 1 : 2);
      // .text is the first section, at the first page-aligned offset after the headers.
      const text = Buffer.from(v.subarray(0x10000, 0x10000 + TEXT_BYTES));
      expect(text.equals(Buffer.concat(textPages(osrelease, order)))).toBe(true);
    }
  });
});
