import { describe, expect, it } from 'vitest';
import { asciiU64, defineStruct, StructError, u64Ascii } from '../../../emulator/struct.ts';

const T = defineStruct({
  name: 't',
  size: 16,
  order: 'native',
  spec: 'test',
  fields: [
    { name: 'a', type: 'u32', doc: '' },
    { name: 'pad', type: 'u16', doc: '', reserved: true },
    { name: 'b', type: 'i16', doc: '' },
    { name: 'c', type: 'u64', doc: '' },
  ],
} as const);

describe('defineStruct', () => {
  it('refuses a table whose size differs from the published one', () => {
    expect(() =>
      defineStruct({
        name: 'bad',
        size: 7,
        order: 'be',
        spec: '',
        fields: [{ name: 'x', type: 'u64', doc: '' }],
      } as const),
    ).toThrow(/gives 8 bytes, the published size is 7/);
  });

  it('lays fields out in order and encodes in the requested byte order', () => {
    expect(T.layout.map((l) => [l.name, l.offset])).toEqual([
      ['a', 0],
      ['pad', 4],
      ['b', 6],
      ['c', 8],
    ]);
    const v = { a: 0x01020304, b: -2, c: 0x1122334455667788n };
    const le = T.encode(v, 'le');
    const be = T.encode(v, 'be');
    expect([...le.subarray(0, 4)]).toEqual([4, 3, 2, 1]);
    expect([...be.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect([...be.subarray(6, 8)]).toEqual([0xff, 0xfe]);
    expect(T.decode(le, 'le')).toEqual(v);
    expect(T.decode(be, 'be')).toEqual(v);
  });

  it('needs a byte order for kernel structures and rejects values that do not fit', () => {
    expect(() => T.encode({ a: 1, b: 1, c: 1n })).toThrow(/byte order must be given/);
    expect(() => T.encode({ a: 2 ** 32, b: 0, c: 0n }, 'le')).toThrow(/does not fit u32/);
    expect(() => T.encode({ a: 0, b: 0, c: -1n }, 'le')).toThrow(/does not fit u64/);
    expect(() => T.decode(new Uint8Array(15), 'le')).toThrow(StructError);
  });

  it('reports non-zero reserved bytes and annotates every field', () => {
    const b = T.encode({ a: 1, b: 2, c: 3n }, 'be');
    expect(T.validate(b, 'be')).toEqual([]);
    b[5] = 1;
    expect(T.validate(b, 'be')).toEqual(['t.pad (offset 0x0004) is not zero']);
    const text = T.annotate(b, 'be');
    expect(text).toContain('+0008');
    expect(text).toContain('0x0000000000000003');
  });

  it('packs ASCII ids MSB-first', () => {
    expect(asciiU64('REGSAVE')).toBe(0x5245475341564500n);
    expect(asciiU64('FADMPSIG')).toBe(0x4641444d50534947n);
    expect(u64Ascii(0x4350555354525400n)).toBe('CPUSTRT');
  });
});
