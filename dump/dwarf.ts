// A small DWARF 4 writer: the debugging information of our vmlinux, generated from the field tables
// so that gdb and crash see the structures in the dump's memory exactly as the model lays them out.
// It writes one compile unit of .debug_info with its .debug_abbrev and .debug_str: base types,
// typedefs, pointers, arrays, structures with member offsets and bit-fields, and variables at their
// addresses (DWARF Debugging Information Format Version 4, §3.1.1, §5, §7.5). No npm package writes
// DWARF; the subset a C compiler would emit for these declarations is what is written here.

import { StringTable } from '../emulator/string-table.ts';
import {
  type ByteOrder,
  type CMember,
  defineStruct,
  type Field,
  type FieldLayout,
  SCALAR_SIZE,
  type ScalarType,
} from '../emulator/struct.ts';

/** The compile unit's header (DWARF 4 §7.5.1.1), 32-bit DWARF. */
export const DWARF_CU_HEADER = defineStruct({
  name: 'dwarf4_cu_header',
  size: 11,
  order: 'native',
  spec: 'DWARF 4 §7.5.1.1',
  fields: [
    { name: 'unit_length', type: 'u32', doc: 'bytes of the unit after this field' },
    { name: 'version', type: 'u16', doc: '4' },
    { name: 'debug_abbrev_offset', type: 'u32', doc: 'offset of the abbreviations in .debug_abbrev' },
    { name: 'address_size', type: 'u8', doc: '8' },
  ],
} as const);

const TAG = {
  array_type: 0x01,
  member: 0x0d,
  pointer_type: 0x0f,
  compile_unit: 0x11,
  structure_type: 0x13,
  typedef: 0x16,
  subrange_type: 0x21,
  base_type: 0x24,
  variable: 0x34,
} as const;

const AT = {
  location: 0x02,
  name: 0x03,
  byte_size: 0x0b,
  bit_size: 0x0d,
  language: 0x13,
  producer: 0x25,
  count: 0x37,
  data_member_location: 0x38,
  declaration: 0x3c,
  encoding: 0x3e,
  external: 0x3f,
  type: 0x49,
  data_bit_offset: 0x6b,
} as const;

const FORM = { data1: 0x0b, strp: 0x0e, udata: 0x0f, ref4: 0x13, exprloc: 0x18, flag_present: 0x19 } as const;
const ATE = { boolean: 0x02, signed: 0x05, signed_char: 0x06, unsigned: 0x07, unsigned_char: 0x08 } as const;
const DW_LANG_C99 = 0x0c;
const DW_OP_addr = 0x03;

export class DwarfError extends Error {}

type Value = number | string | Die | Uint8Array | true;
interface Die {
  tag: number;
  attrs: [at: number, form: number, value: Value][];
  children: Die[];
  /** Bytes the type occupies (undefined for an incomplete structure). */
  size?: number;
  offset?: number;
}

/** The C base types, as gcc names them for ppc64 (char is unsigned): size and encoding. */
const BASE: Readonly<Record<string, readonly [number, number]>> = {
  char: [1, ATE.unsigned_char],
  'unsigned char': [1, ATE.unsigned_char],
  'signed char': [1, ATE.signed_char],
  'short int': [2, ATE.signed],
  'short unsigned int': [2, ATE.unsigned],
  int: [4, ATE.signed],
  'unsigned int': [4, ATE.unsigned],
  'long int': [8, ATE.signed],
  'long unsigned int': [8, ATE.unsigned],
  'long long int': [8, ATE.signed],
  'long long unsigned int': [8, ATE.unsigned],
  _Bool: [1, ATE.boolean],
};

/** The other spellings of base types a table may use. */
const SPELLING: Readonly<Record<string, string>> = {
  short: 'short int',
  'unsigned short': 'short unsigned int',
  unsigned: 'unsigned int',
  long: 'long int',
  'unsigned long': 'long unsigned int',
  'long long': 'long long int',
  'unsigned long long': 'long long unsigned int',
};

/**
 * Linux's typedefs the tables use (include/linux/types.h, include/uapi/asm-generic/int-ll64.h,
 * include/linux/types.h atomic_t/atomic64_t, include/asm-generic/atomic-long.h, the ppc64
 * elf_greg_t of arch/powerpc/include/uapi/asm/elf.h): a type, or the one member of an unnamed struct.
 */
const TYPEDEFS: Readonly<Record<string, string | readonly [member: string, type: string]>> = {
  u8: 'unsigned char',
  u16: 'short unsigned int',
  u32: 'unsigned int',
  u64: 'long long unsigned int',
  s8: 'signed char',
  s16: 'short int',
  s32: 'int',
  s64: 'long long int',
  pid_t: 'int',
  elf_greg_t: 'long unsigned int',
  atomic_t: ['counter', 'int'],
  atomic64_t: ['counter', 's64'],
  atomic_long_t: 'atomic64_t',
};

/** The C type a field has when its table does not say: the Linux typedef of its scalar type. */
const DEFAULT_C: Readonly<Record<ScalarType | 'bytes', string>> = {
  u8: 'u8',
  u16: 'u16',
  u32: 'u32',
  u64: 'u64',
  i16: 's16',
  i32: 's32',
  i64: 's64',
  bytes: 'unsigned char',
};

/** How a field reads in C, as the DWARF declares it ('desc_ring.descs: struct prb_desc *'); '' for padding. */
export function cDeclaration(f: Field): string {
  if (f.reserved) return '';
  const c: CMember = f.c ?? {};
  const name = `${c.in ? `${c.in}.` : ''}${c.name ?? f.name}`;
  const type = c.type ?? DEFAULT_C[f.type];
  if (c.bits) return c.bits.map((b) => `${b.name}: ${type} : ${b.width}`).join('; ');
  if (f.type === 'bytes')
    return /^struct \w+$/.test(type)
      ? `${name}: ${type}`
      : `${name}: ${type}[${f.size / (cTypeSize(type, []) ?? 1)}]`;
  return `${name}: ${type}${f.count !== undefined ? `[${f.count}]` : ''}`;
}

/** A structure described to the debugger: a field table (only what dwarf needs of one). */
export interface DescribedStruct {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly Field[];
  readonly layout: readonly FieldLayout[];
  readonly c?: { readonly nested?: Readonly<Record<string, string>> };
}

export interface DwarfVariable {
  name: string;
  /** A C type as a table's `c.type` spells it, with an optional array suffix ('struct prb_desc[8192]'). */
  type: string;
  address: bigint;
}

export interface DwarfInput {
  order: ByteOrder;
  producer: string;
  unitName: string;
  structs: readonly DescribedStruct[];
  variables: readonly DwarfVariable[];
}

export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str: Uint8Array;
}

/** The .debug_info, .debug_abbrev and .debug_str of one compile unit describing `input`. */
export function writeDwarf(input: DwarfInput): DwarfSections {
  const cu: Die = {
    tag: TAG.compile_unit,
    attrs: [
      [AT.producer, FORM.strp, input.producer],
      [AT.language, FORM.data1, DW_LANG_C99],
      [AT.name, FORM.strp, input.unitName],
    ],
    children: [],
  };
  const types = new TypeBuilder(cu, input.structs);
  for (const s of input.structs) types.resolve(`struct ${s.name}`);
  for (const v of input.variables) {
    cu.children.push({
      tag: TAG.variable,
      attrs: [
        [AT.name, FORM.strp, v.name],
        [AT.type, FORM.ref4, types.resolve(v.type)],
        [AT.external, FORM.flag_present, true],
        [AT.location, FORM.exprloc, addressExpr(v.address, input.order)],
      ],
      children: [],
    });
  }
  return encodeUnit(cu, input.order);
}

/** The bytes a C type takes, as the DWARF describes it; undefined for an incomplete struct. */
export function cTypeSize(spelled: string, structs: readonly DescribedStruct[]): number | undefined {
  const scratch: Die = { tag: TAG.compile_unit, attrs: [], children: [] };
  return new TypeBuilder(scratch, structs).resolve(spelled).size;
}

function addressExpr(address: bigint, order: ByteOrder): Uint8Array {
  const e = new Uint8Array(9);
  e[0] = DW_OP_addr;
  new DataView(e.buffer).setBigUint64(1, address, order === 'le');
  return e;
}

/** Builds each C type's DIE once, on first use, as children of the compile unit. */
class TypeBuilder {
  private dies = new Map<string, Die>();
  private tables: Map<string, DescribedStruct>;
  /** Structures made from a run of fields of another table (`CMember.in`), by name. */
  private nestedOwners = new Map<string, string>();

  constructor(
    private cu: Die,
    structs: readonly DescribedStruct[],
  ) {
    this.tables = new Map(structs.map((s) => [s.name, s]));
  }

  /** The DIE of a C type spelled as a table spells it. */
  resolve(spelled: string): Die {
    const t = spelled.trim().replace(/\s+/g, ' ');
    const known = this.dies.get(t);
    if (known) return known;
    const array = /^(.*?)\s*\[(\d+)\]$/.exec(t);
    if (array) return this.array(this.resolve(array[1]!), Number(array[2]), t);
    if (t.endsWith('*')) {
      const to = t.slice(0, -1).trim();
      const die: Die = {
        tag: TAG.pointer_type,
        attrs: [[AT.byte_size, FORM.data1, 8]],
        children: [],
        size: 8,
      };
      this.dies.set(t, die);
      this.cu.children.push(die);
      if (to !== 'void') die.attrs.push([AT.type, FORM.ref4, this.resolve(to)]);
      return die;
    }
    const struct = /^struct (\w+)$/.exec(t);
    if (struct) return this.struct(struct[1]!);
    const base = BASE[SPELLING[t] ?? t];
    if (base) {
      const name = SPELLING[t] ?? t;
      const die = this.dies.get(name) ?? this.add(name, baseType(name, base[0], base[1]));
      this.dies.set(t, die);
      return die;
    }
    const def = TYPEDEFS[t];
    if (def === undefined) throw new DwarfError(`unknown C type '${spelled}'`);
    // A one-member unnamed struct (atomic_t and its kin) or another type.
    const target =
      typeof def === 'string'
        ? this.resolve(def)
        : this.add(
            '',
            structDie(undefined, this.resolve(def[1]).size!, [member(def[0], this.resolve(def[1]), 0)]),
          );
    return this.add(t, {
      tag: TAG.typedef,
      attrs: [
        [AT.name, FORM.strp, t],
        [AT.type, FORM.ref4, target],
      ],
      children: [],
      size: target.size,
    });
  }

  private add(key: string, die: Die): Die {
    if (key) this.dies.set(key, die);
    this.cu.children.push(die);
    return die;
  }

  private array(of: Die, count: number, key: string): Die {
    const index = this.resolve('long unsigned int');
    const die: Die = {
      tag: TAG.array_type,
      attrs: [[AT.type, FORM.ref4, of]],
      children: [
        {
          tag: TAG.subrange_type,
          attrs: [
            [AT.type, FORM.ref4, index],
            [AT.count, FORM.udata, count],
          ],
          children: [],
        },
      ],
      size: of.size === undefined ? undefined : of.size * count,
    };
    return this.add(key, die);
  }

  private sizeOf(die: Die, spelled: string): number {
    if (die.size === undefined) throw new DwarfError(`'${spelled}' has no size here (an incomplete struct)`);
    return die.size;
  }

  /** struct NAME: a table, a nested run of a table's fields, or else an incomplete declaration. */
  private struct(name: string): Die {
    const key = `struct ${name}`;
    const table = this.tables.get(name);
    if (table) {
      const die = this.add(key, structDie(name, table.size, []));
      die.children = this.tableMembers(table);
      return die;
    }
    for (const s of this.tables.values()) {
      for (const [member, type] of Object.entries(s.c?.nested ?? {})) {
        if (type !== name) continue;
        const owner = this.nestedOwners.get(name);
        if (owner && owner !== `${s.name}.${member}`)
          throw new DwarfError(`struct ${name} is nested in both ${owner} and ${s.name}.${member}`);
        this.nestedOwners.set(name, `${s.name}.${member}`);
        const fields = s.fields.flatMap((f, i) => (f.c?.in === member ? [i] : []));
        const first = s.layout[fields[0]!]!;
        const last = s.layout[fields[fields.length - 1]!]!;
        const die = this.add(key, structDie(name, last.offset + last.size - first.offset, []));
        die.children = this.fieldMembers(s, fields, first.offset);
        return die;
      }
    }
    return this.add(key, {
      tag: TAG.structure_type,
      attrs: [
        [AT.name, FORM.strp, name],
        [AT.declaration, FORM.flag_present, true],
      ],
      children: [],
    });
  }

  /** A table's members: its fields, each run with one `in` folded into one nested member. */
  private tableMembers(s: DescribedStruct): Die[] {
    const out: Die[] = [];
    for (let i = 0; i < s.fields.length; ) {
      const nest = s.fields[i]!.c?.in;
      if (!nest) {
        out.push(...this.fieldMembers(s, [i], 0));
        i++;
        continue;
      }
      let end = i;
      while (end < s.fields.length && s.fields[end]!.c?.in === nest) end++;
      const typeName = s.c?.nested?.[nest];
      if (!typeName) throw new DwarfError(`${s.name}: no c.nested type for member ${nest}`);
      if (s.fields.slice(end).some((f) => f.c?.in === nest))
        throw new DwarfError(`${s.name}: the fields of ${nest} are not consecutive`);
      out.push(member(nest, this.resolve(`struct ${typeName}`), s.layout[i]!.offset));
      i = end;
    }
    return out;
  }

  /** Members for the fields at `indexes` of table `s`, offsets relative to `base`. */
  private fieldMembers(s: DescribedStruct, indexes: readonly number[], base: number): Die[] {
    const out: Die[] = [];
    for (const i of indexes) {
      const f = s.fields[i]!;
      const l = s.layout[i]!;
      if (f.reserved) continue;
      const c: CMember = f.c ?? {};
      const at = l.offset - base;
      const elemSize = f.type === 'bytes' ? 1 : SCALAR_SIZE[f.type];
      const spelled = c.type ?? DEFAULT_C[f.type];
      const elem = this.resolve(spelled);
      const what = `${s.name}.${f.name}`;
      if (c.bits) {
        const width = c.bits.reduce((n, b) => n + b.width, 0);
        if (f.type === 'bytes' || f.count || width > 8 * elemSize)
          throw new DwarfError(`${what}: bit-fields of ${width} bits do not fit the field`);
        let bit = 8 * at;
        for (const b of c.bits) {
          out.push({
            tag: TAG.member,
            attrs: [
              [AT.name, FORM.strp, b.name],
              [AT.type, FORM.ref4, elem],
              [AT.bit_size, FORM.data1, b.width],
              [AT.data_bit_offset, FORM.udata, bit],
            ],
            children: [],
          });
          bit += b.width;
        }
        continue;
      }
      let type = elem;
      if (f.type === 'bytes' && elem.tag === TAG.structure_type) {
        if (elem.size !== l.size) throw new DwarfError(`${what}: ${spelled} is not ${l.size} bytes`);
      } else {
        const size = this.sizeOf(elem, spelled);
        const count = f.type === 'bytes' ? l.size / size : (f.count ?? 1);
        if (size * count !== l.size || (f.type !== 'bytes' && size !== elemSize))
          throw new DwarfError(`${what}: ${spelled} (${size} bytes) does not fit a ${l.type} field`);
        if (f.type === 'bytes' || f.count !== undefined) type = this.resolve(`${spelled}[${count}]`);
      }
      out.push(member(c.name ?? f.name, type, at));
    }
    return out;
  }
}

function baseType(name: string, size: number, encoding: number): Die {
  return {
    tag: TAG.base_type,
    attrs: [
      [AT.byte_size, FORM.data1, size],
      [AT.encoding, FORM.data1, encoding],
      [AT.name, FORM.strp, name],
    ],
    children: [],
    size,
  };
}

function structDie(name: string | undefined, size: number, children: Die[]): Die {
  return {
    tag: TAG.structure_type,
    attrs: [
      ...(name ? [[AT.name, FORM.strp, name] as Die['attrs'][number]] : []),
      [AT.byte_size, FORM.udata, size],
    ],
    children,
    size,
  };
}

function member(name: string, type: Die, at: number): Die {
  return {
    tag: TAG.member,
    attrs: [
      [AT.name, FORM.strp, name],
      [AT.type, FORM.ref4, type],
      [AT.data_member_location, FORM.udata, at],
    ],
    children: [],
  };
}

function uleb(v: number, out: number[]): void {
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
}

const ulebSize = (v: number) => {
  let n = 1;
  for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) n++;
  return n;
};

/** Lays the unit out (every DIE's offset, so references can be written) and encodes it. */
function encodeUnit(cu: Die, order: ByteOrder): DwarfSections {
  const abbrevs = new Map<string, number>();
  const abbrevBytes: number[] = [];
  const codeOf = (d: Die) => {
    const key = `${d.tag}:${d.children.length > 0}:${d.attrs.map(([a, f]) => `${a}/${f}`).join(',')}`;
    let code = abbrevs.get(key);
    if (code === undefined) {
      code = abbrevs.size + 1;
      abbrevs.set(key, code);
      uleb(code, abbrevBytes);
      uleb(d.tag, abbrevBytes);
      abbrevBytes.push(d.children.length > 0 ? 1 : 0);
      for (const [a, f] of d.attrs) {
        uleb(a, abbrevBytes);
        uleb(f, abbrevBytes);
      }
      abbrevBytes.push(0, 0);
    }
    return code;
  };
  const strings = new StringTable();
  const valueSize = (form: number, v: Value) => {
    switch (form) {
      case FORM.strp:
      case FORM.ref4:
        return 4;
      case FORM.data1:
        return 1;
      case FORM.udata:
        return ulebSize(v as number);
      case FORM.exprloc:
        return ulebSize((v as Uint8Array).length) + (v as Uint8Array).length;
      default:
        return 0;
    }
  };
  // Pass 1: offsets from the start of the unit (the header is 11 bytes).
  let at = DWARF_CU_HEADER.size;
  const place = (d: Die) => {
    d.offset = at;
    at += ulebSize(codeOf(d));
    for (const [, form, v] of d.attrs) at += valueSize(form, v);
    for (const c of d.children) place(c);
    if (d.children.length) at += 1;
  };
  place(cu);
  abbrevBytes.push(0);
  // Pass 2: the bytes.
  const info = new Uint8Array(at);
  const view = new DataView(info.buffer);
  const le = order === 'le';
  DWARF_CU_HEADER.encodeInto(
    info,
    0,
    { unit_length: at - 4, version: 4, debug_abbrev_offset: 0, address_size: 8 },
    order,
  );
  let p = DWARF_CU_HEADER.size;
  const leb: number[] = [];
  const putUleb = (v: number) => {
    leb.length = 0;
    uleb(v, leb);
    info.set(leb, p);
    p += leb.length;
  };
  const emit = (d: Die) => {
    putUleb(codeOf(d));
    for (const [, form, v] of d.attrs) {
      if (form === FORM.strp) view.setUint32(p, strings.add(v as string), le);
      else if (form === FORM.ref4) view.setUint32(p, (v as Die).offset!, le);
      else if (form === FORM.data1) view.setUint8(p, v as number);
      else if (form === FORM.udata) {
        putUleb(v as number);
        continue;
      } else if (form === FORM.exprloc) {
        putUleb((v as Uint8Array).length);
        info.set(v as Uint8Array, p);
        p += (v as Uint8Array).length;
        continue;
      }
      p += valueSize(form, v);
    }
    for (const c of d.children) emit(c);
    if (d.children.length) info[p++] = 0;
  };
  emit(cu);
  if (p !== at) throw new DwarfError(`unit laid out as ${at} bytes, written as ${p}`);
  return { info, abbrev: Uint8Array.from(abbrevBytes), str: strings.bytes() };
}
