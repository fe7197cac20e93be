// Binary struct codec: one `as const` field table per structure drives the TypeScript type, the
// size check, encode, decode, validation of reserved bytes, the annotated hex view and the
// generated reference docs. Firmware structures are big-endian; kernel structures use the
// kernel's byte order, chosen when encoding or decoding ('native').

export type ByteOrder = 'be' | 'le';
export type OrderRule = 'be' | 'native';
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 'i16' | 'i32' | 'i64';

/**
 * How a field reads as a member of the C structure, for the DWARF that describes the structure to
 * gdb and crash (dump/dwarf.ts). The codec ignores it. Every part is optional: by default a field is
 * a member of its own name whose type is the Linux typedef of its scalar type (u8 … u64, s16 … s64;
 * `unsigned char[n]` for bytes), an array of it with `count`; reserved fields are padding.
 */
export interface CMember {
  /**
   * The member's C type (of one element with `count`): a base type or typedef ('unsigned long',
   * 'atomic_long_t', 'char'), 'struct NAME' (the structure of that name) or a pointer to one of
   * them ('struct prb_desc *', 'void *'). It must have the field's size (its element's size).
   */
  readonly type?: string;
  /** The C name when it is not the field's (a member of a nested structure, say). */
  readonly name?: string;
  /**
   * The field is a member of this member of the structure, a structure itself whose C type the
   * table's `c.nested` names: a run of fields with the same `in` forms it, as C lays it out.
   */
  readonly in?: string;
  /** Bit-fields that share the field's bytes, in the order C declares them. */
  readonly bits?: readonly { readonly name: string; readonly width: number }[];
}

export interface ScalarField {
  readonly name: string;
  readonly type: ScalarType;
  /** Repeat count: the value is an array of this many elements. */
  readonly count?: number;
  readonly doc: string;
  /** Reserved/padding: not part of the value, encoded as zero, reported by `validate` if not zero. */
  readonly reserved?: boolean;
  readonly c?: CMember;
}

export interface BytesField {
  readonly name: string;
  readonly type: 'bytes';
  readonly size: number;
  readonly doc: string;
  readonly reserved?: boolean;
  readonly c?: CMember;
}

/** The C side of a whole table: the structure types of its nested members (`CMember.in`). */
export interface CStruct {
  readonly nested?: Readonly<Record<string, string>>;
}

export type Field = ScalarField | BytesField;

type ScalarValue<T extends ScalarType> = T extends 'u64' | 'i64' ? bigint : number;
type FieldValue<F extends Field> = F extends BytesField
  ? Uint8Array
  : F extends { type: infer T extends ScalarType; count: number }
    ? ScalarValue<T>[]
    : F extends { type: infer T extends ScalarType }
      ? ScalarValue<T>
      : never;

/** The decoded value of a structure: every non-reserved field by name. */
export type StructValue<Fs extends readonly Field[]> = {
  -readonly [F in Fs[number] as F extends { reserved: true } ? never : F['name']]: FieldValue<F>;
};

export interface FieldLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: string;
  readonly doc: string;
  readonly reserved: boolean;
}

export const SCALAR_SIZE: Record<ScalarType, number> = {
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
  i16: 2,
  i32: 4,
  i64: 8,
};

export class StructError extends Error {}

export interface StructDef<Fs extends readonly Field[]> {
  readonly name: string;
  readonly size: number;
  readonly order: OrderRule;
  readonly spec: string;
  readonly fields: Fs;
  readonly c?: CStruct;
  readonly layout: readonly FieldLayout[];
  offsetOf(name: Fs[number]['name']): number;
  encode(value: StructValue<Fs>, order?: ByteOrder): Uint8Array;
  encodeInto(target: Uint8Array, at: number, value: StructValue<Fs>, order?: ByteOrder): void;
  decode(bytes: Uint8Array, order?: ByteOrder, at?: number): StructValue<Fs>;
  /** Problems a reader should know about: non-zero reserved bytes. */
  validate(bytes: Uint8Array, order?: ByteOrder, at?: number): string[];
  /** Annotated hex dump, one line per field. */
  annotate(bytes: Uint8Array, order?: ByteOrder, at?: number): string;
  /** A zero value of the right shape. */
  zero(): StructValue<Fs>;
}

function fieldSize(f: Field): number {
  return f.type === 'bytes' ? f.size : SCALAR_SIZE[f.type] * (f.count ?? 1);
}

function resolveOrder(rule: OrderRule, order: ByteOrder | undefined, name: string): ByteOrder {
  if (rule === 'be') return 'be';
  if (order === undefined) throw new StructError(`${name}: kernel byte order must be given`);
  return order;
}

function readScalar(view: DataView, at: number, type: ScalarType, le: boolean): number | bigint {
  switch (type) {
    case 'u8':
      return view.getUint8(at);
    case 'u16':
      return view.getUint16(at, le);
    case 'u32':
      return view.getUint32(at, le);
    case 'u64':
      return view.getBigUint64(at, le);
    case 'i16':
      return view.getInt16(at, le);
    case 'i32':
      return view.getInt32(at, le);
    case 'i64':
      return view.getBigInt64(at, le);
  }
}

const U64_END = 1n << 64n;
const I64_MIN = -(1n << 63n);
const I64_END = 1n << 63n;
/** [min, max] of each integer type a Number holds. */
const NUMBER_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i16: [-0x8000, 0x7fff],
  i32: [-0x80000000, 0x7fffffff],
};

const fieldName = (struct: string, field: string, index: number) =>
  `${struct}.${field}${index < 0 ? '' : `[${index}]`}`;

/** Writes one scalar; `struct`, `field` and `index` name it in an error. */
function writeScalar(
  view: DataView,
  at: number,
  type: ScalarType,
  le: boolean,
  v: unknown,
  struct: string,
  field: string,
  index = -1,
): void {
  if (type === 'u64' || type === 'i64') {
    if (typeof v !== 'bigint')
      throw new StructError(`${fieldName(struct, field, index)}: expected bigint, got ${typeof v}`);
    const ok = type === 'u64' ? v >= 0n && v < U64_END : v >= I64_MIN && v < I64_END;
    if (!ok) throw new StructError(`${fieldName(struct, field, index)}: ${v} does not fit ${type}`);
    if (type === 'u64') view.setBigUint64(at, v, le);
    else view.setBigInt64(at, v, le);
    return;
  }
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new StructError(`${fieldName(struct, field, index)}: expected integer`);
  const [min, max] = NUMBER_RANGE[type]!;
  if (v < min! || v > max!)
    throw new StructError(`${fieldName(struct, field, index)}: ${v} does not fit ${type}`);
  switch (type) {
    case 'u8':
      view.setUint8(at, v);
      break;
    case 'u16':
      view.setUint16(at, v, le);
      break;
    case 'u32':
      view.setUint32(at, v, le);
      break;
    case 'i16':
      view.setInt16(at, v, le);
      break;
    case 'i32':
      view.setInt32(at, v, le);
      break;
  }
}

// The last buffer's view: encoders and decoders are called many times in a row on one buffer.
let viewed: Uint8Array | undefined;
let lastView: DataView | undefined;
function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== viewed || lastView!.byteLength !== bytes.byteLength) {
    viewed = bytes;
    lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return lastView!;
}

function show(v: number | bigint, width: number): string {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  const u = n < 0n ? (1n << BigInt(width * 8)) + n : n;
  return `0x${u.toString(16).padStart(width * 2, '0')}`;
}

/**
 * Declares a structure. `size` is the published size; a mismatch with the field table throws
 * when the module loads, so a wrong table can never be used.
 */
export function defineStruct<const Fs extends readonly Field[]>(def: {
  name: string;
  size: number;
  order: OrderRule;
  spec: string;
  fields: Fs;
  c?: CStruct;
}): StructDef<Fs> {
  const layout: FieldLayout[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const f of def.fields) {
    if (seen.has(f.name)) throw new StructError(`${def.name}: field ${f.name} declared twice`);
    seen.add(f.name);
    const size = fieldSize(f);
    const type = f.type === 'bytes' ? `u8[${f.size}]` : f.count ? `${f.type}[${f.count}]` : f.type;
    layout.push({ name: f.name, offset, size, type, doc: f.doc, reserved: f.reserved === true });
    offset += size;
  }
  if (offset !== def.size) {
    throw new StructError(
      `${def.name}: field table gives ${offset} bytes, the published size is ${def.size}`,
    );
  }
  const byName = new Map(layout.map((l) => [l.name, l]));
  type V = StructValue<Fs>;

  const encodeInto = (target: Uint8Array, at: number, value: V, order?: ByteOrder): void => {
    const le = resolveOrder(def.order, order, def.name) === 'le';
    if (at < 0 || at + def.size > target.length) throw new StructError(`${def.name}: target too small`);
    const view = viewOf(target);
    const rec = value as Record<string, unknown>;
    for (let i = 0; i < def.fields.length; i++) {
      const f = def.fields[i]!;
      const off = at + layout[i]!.offset;
      if (f.reserved) {
        target.fill(0, off, off + layout[i]!.size);
        continue;
      }
      const v = rec[f.name];
      if (f.type === 'bytes') {
        if (!(v instanceof Uint8Array) || v.length !== f.size) {
          throw new StructError(`${def.name}.${f.name}: expected ${f.size} bytes`);
        }
        target.set(v, off);
      } else if (f.count !== undefined) {
        if (!Array.isArray(v) || v.length !== f.count)
          throw new StructError(`${def.name}.${f.name}: expected ${f.count} values`);
        const w = SCALAR_SIZE[f.type];
        for (let j = 0; j < v.length; j++)
          writeScalar(view, off + j * w, f.type, le, v[j], def.name, f.name, j);
      } else {
        writeScalar(view, off, f.type, le, v, def.name, f.name);
      }
    }
  };

  const decode = (bytes: Uint8Array, order?: ByteOrder, at = 0): V => {
    const le = resolveOrder(def.order, order, def.name) === 'le';
    if (at < 0 || at + def.size > bytes.length) {
      throw new StructError(
        `${def.name}: needs ${def.size} bytes at offset ${at}, only ${bytes.length - at} present`,
      );
    }
    const view = viewOf(bytes);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < def.fields.length; i++) {
      const f = def.fields[i]!;
      if (f.reserved) continue;
      const off = at + layout[i]!.offset;
      if (f.type === 'bytes') out[f.name] = bytes.slice(off, off + f.size);
      else if (f.count !== undefined) {
        const w = SCALAR_SIZE[f.type];
        const values = new Array<number | bigint>(f.count);
        for (let j = 0; j < f.count; j++) values[j] = readScalar(view, off + j * w, f.type, le);
        out[f.name] = values;
      } else out[f.name] = readScalar(view, off, f.type, le);
    }
    return out as V;
  };

  return {
    name: def.name,
    size: def.size,
    order: def.order,
    spec: def.spec,
    fields: def.fields,
    ...(def.c && { c: def.c }),
    layout,
    offsetOf(name) {
      const l = byName.get(name);
      if (!l) throw new StructError(`${def.name}: no field ${name}`);
      return l.offset;
    },
    encode(value, order) {
      const out = new Uint8Array(def.size);
      encodeInto(out, 0, value, order);
      return out;
    },
    encodeInto,
    decode,
    validate(bytes, order, at = 0) {
      resolveOrder(def.order, order, def.name);
      const problems: string[] = [];
      for (const l of layout) {
        if (!l.reserved) continue;
        const slice = bytes.subarray(at + l.offset, at + l.offset + l.size);
        if (slice.some((b) => b !== 0))
          problems.push(`${def.name}.${l.name} (offset ${show(l.offset, 2)}) is not zero`);
      }
      return problems;
    },
    annotate(bytes, order, at = 0) {
      const le = resolveOrder(def.order, order, def.name) === 'le';
      const view = viewOf(bytes);
      const lines = [`${def.name} (${def.size} bytes, ${le ? 'little' : 'big'}-endian) — ${def.spec}`];
      def.fields.forEach((f, i) => {
        const l = layout[i]!;
        const off = at + l.offset;
        const raw = bytes.subarray(off, off + Math.min(l.size, 16));
        const hex = Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join(' ');
        let value: string;
        if (f.type === 'bytes') value = l.size > 16 ? `${l.size} bytes` : '';
        else if (f.count !== undefined) value = `${f.count} × ${f.type}`;
        else value = show(readScalar(view, off, f.type, le), SCALAR_SIZE[f.type]);
        lines.push(
          `  +${l.offset.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}${l.size > 16 ? '…' : ' '} ${l.name.padEnd(22)} ${value}`,
        );
      });
      return lines.join('\n');
    },
    zero() {
      const z = new Uint8Array(def.size);
      return decode(z, def.order === 'be' ? 'be' : 'le');
    },
  };
}

/** Packs up to eight ASCII characters MSB-first into a u64, as firmware and the kernel do. */
export function asciiU64(text: string): bigint {
  if (text.length > 8 || !/^[\x20-\x7e]*$/.test(text))
    throw new StructError(`not an 8-character ASCII id: ${text}`);
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(i < text.length ? text.charCodeAt(i) : 0);
  return v;
}

/** The inverse of asciiU64: the ASCII characters up to the first NUL. */
export function u64Ascii(v: bigint): string {
  let s = '';
  for (let i = 7; i >= 0; i--) {
    const c = Number((v >> BigInt(i * 8)) & 0xffn);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** A u64 from the model (always below 2^53 for physical addresses) as a JS number, checked. */
export function toAddr(v: bigint): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new StructError(`address ${v} out of range`);
  return Number(v);
}

export function hex(v: number | bigint, width = 0): string {
  return `0x${v.toString(16).padStart(width, '0')}`;
}

/**
 * The bytes of one field of `def` holding `value` (element `index` of an array field), and where
 * they go: what a corruption of a named field writes. Values are taken modulo the field width, so
 * any integer is a valid corruption; the field's byte-order rule applies.
 */
export function encodeField(
  def: { name: string; order: OrderRule; fields: readonly Field[]; layout: readonly FieldLayout[] },
  name: string,
  value: bigint,
  order: ByteOrder,
  index = 0,
): { offset: number; bytes: Uint8Array } {
  const i = def.fields.findIndex((f) => f.name === name);
  const f = def.fields[i];
  if (!f) throw new StructError(`${def.name} has no field ${name}`);
  const le = resolveOrder(def.order, order, def.name) === 'le';
  const width = f.type === 'bytes' ? 1 : SCALAR_SIZE[f.type];
  const count = f.type === 'bytes' ? f.size : (f.count ?? 1);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new StructError(`${def.name}.${name}: index ${index} is outside 0-${count - 1}`);
  }
  const bytes = new Uint8Array(width);
  let v = BigInt.asUintN(width * 8, value);
  for (let b = 0; b < width; b++) {
    bytes[le ? b : width - 1 - b] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { offset: def.layout[i]!.offset + index * width, bytes };
}
