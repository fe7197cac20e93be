// Flattened device tree (DTB, version 17) encoder and decoder for the DtNode model. Layout as dtc
// writes it: header, memory reserve map, structure block, strings block. Decoding hostile input
// only ever throws DtbError, naming what is wrong and where; work is bounded by the input size.

import { DtNode } from './device-tree.ts';
import { StringTable } from './string-table.ts';
import { defineStruct } from './struct.ts';

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const MAX_DEPTH = 64;

export const FDT_HEADER = defineStruct({
  name: 'fdt_header',
  size: 40,
  order: 'be',
  spec: 'Devicetree Specification v0.4 §5.2',
  fields: [
    { name: 'magic', type: 'u32', doc: '0xd00dfeed' },
    { name: 'totalsize', type: 'u32', doc: 'size of the whole blob' },
    { name: 'off_dt_struct', type: 'u32', doc: 'offset of the structure block' },
    { name: 'off_dt_strings', type: 'u32', doc: 'offset of the strings block' },
    { name: 'off_mem_rsvmap', type: 'u32', doc: 'offset of the memory reserve map' },
    { name: 'version', type: 'u32', doc: '17' },
    { name: 'last_comp_version', type: 'u32', doc: '16' },
    { name: 'boot_cpuid_phys', type: 'u32', doc: 'physical id of the boot CPU' },
    { name: 'size_dt_strings', type: 'u32', doc: 'length of the strings block' },
    { name: 'size_dt_struct', type: 'u32', doc: 'length of the structure block' },
  ],
} as const);

export const FDT_RESERVE_ENTRY = defineStruct({
  name: 'fdt_reserve_entry',
  size: 16,
  order: 'be',
  spec: 'Devicetree Specification v0.4 §5.3',
  fields: [
    { name: 'address', type: 'u64', doc: 'start of a reserved range' },
    { name: 'size', type: 'u64', doc: 'length; (0, 0) ends the map' },
  ],
} as const);

export class DtbError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

export interface ReserveEntry {
  address: bigint;
  size: bigint;
}

export interface DtbOptions {
  bootCpuidPhys?: number;
  reserveMap?: readonly ReserveEntry[];
}

export interface DecodedDtb {
  root: DtNode;
  bootCpuidPhys: number;
  reserveMap: ReserveEntry[];
}

const pad4 = (n: number) => (n + 3) & ~3;

export function encodeDtb(root: DtNode, opts: DtbOptions = {}): Uint8Array {
  const enc = new TextEncoder();
  // Property names are encoded once each, in first-use order; node names as met.
  const names = new StringTable();
  // First pass: the structure block's size, and every node name's bytes.
  const nodeNames: Uint8Array[] = [];
  const measure = (node: DtNode): number => {
    const name = enc.encode(`${node.name}\0`);
    nodeNames.push(name);
    let n = 8 + pad4(name.length);
    for (const [key, value] of node.props) {
      names.add(key);
      n += 12 + pad4(value.length);
    }
    for (const c of node.children) n += measure(c);
    return n;
  };
  const structSize = measure(root) + 4;
  // Second pass: written in place (the buffer starts zeroed, so padding needs nothing).
  const struct = new Uint8Array(structSize);
  const view = new DataView(struct.buffer);
  let at = 0;
  let named = 0;
  const u32 = (v: number) => {
    view.setUint32(at, v);
    at += 4;
  };
  const bytes = (b: Uint8Array) => {
    struct.set(b, at);
    at += pad4(b.length);
  };
  const walk = (node: DtNode) => {
    u32(FDT_BEGIN_NODE);
    bytes(nodeNames[named++]!);
    for (const [name, value] of node.props) {
      u32(FDT_PROP);
      u32(value.length);
      u32(names.offsetOf(name)!);
      bytes(value);
    }
    for (const c of node.children) walk(c);
    u32(FDT_END_NODE);
  };
  walk(root);
  u32(FDT_END);
  const strings = names.bytes();
  const rsv = [...(opts.reserveMap ?? []), { address: 0n, size: 0n }];
  const offRsv = FDT_HEADER.size;
  const offStruct = offRsv + rsv.length * FDT_RESERVE_ENTRY.size;
  const offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;
  const out = new Uint8Array(total);
  FDT_HEADER.encodeInto(out, 0, {
    magic: FDT_MAGIC,
    totalsize: total,
    off_dt_struct: offStruct,
    off_dt_strings: offStrings,
    off_mem_rsvmap: offRsv,
    version: 17,
    last_comp_version: 16,
    boot_cpuid_phys: opts.bootCpuidPhys ?? 0,
    size_dt_strings: strings.length,
    size_dt_struct: struct.length,
  });
  rsv.forEach((r, i) => FDT_RESERVE_ENTRY.encodeInto(out, offRsv + i * FDT_RESERVE_ENTRY.size, r));
  out.set(struct, offStruct);
  out.set(strings, offStrings);
  return out;
}

export function decodeDtb(bytes: Uint8Array): DecodedDtb {
  if (bytes.length < FDT_HEADER.size)
    throw new DtbError(`blob of ${bytes.length} bytes is shorter than the header`, 0);
  const h = FDT_HEADER.decode(bytes);
  if (h.magic !== FDT_MAGIC)
    throw new DtbError(`bad magic 0x${h.magic.toString(16)}, expected 0xd00dfeed`, 0);
  if (h.version < 16 || h.last_comp_version > 17) throw new DtbError(`unsupported version ${h.version}`, 20);
  if (h.totalsize > bytes.length)
    throw new DtbError(`totalsize ${h.totalsize} exceeds the ${bytes.length} bytes given`, 4);
  const within = (off: number, len: number, what: string, at: number) => {
    if (off > h.totalsize || len > h.totalsize - off) throw new DtbError(`${what} lies outside the blob`, at);
  };
  within(h.off_dt_struct, h.size_dt_struct, 'structure block', 8);
  within(h.off_dt_strings, h.size_dt_strings, 'strings block', 12);
  within(h.off_mem_rsvmap, 0, 'reserve map', 16);
  if (h.off_dt_struct % 4 !== 0) throw new DtbError('structure block is not 4-byte aligned', 8);

  const reserveMap: ReserveEntry[] = [];
  for (let at = h.off_mem_rsvmap; ; at += FDT_RESERVE_ENTRY.size) {
    if (at + FDT_RESERVE_ENTRY.size > h.totalsize) throw new DtbError('reserve map is not terminated', at);
    const e = FDT_RESERVE_ENTRY.decode(bytes, 'be', at);
    if (e.address === 0n && e.size === 0n) break;
    reserveMap.push(e);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = h.off_dt_struct + h.size_dt_struct;
  const dec = new TextDecoder('utf-8', { fatal: false });
  const cstring = (from: number, limit: number, what: string): [string, number] => {
    let i = from;
    while (i < limit && bytes[i] !== 0) i++;
    if (i >= limit) throw new DtbError(`unterminated ${what}`, from);
    return [dec.decode(bytes.subarray(from, i)), i + 1];
  };
  let at = h.off_dt_struct;
  const token = () => {
    if (at + 4 > end) throw new DtbError('structure block ends without FDT_END', at);
    const t = view.getUint32(at);
    at += 4;
    return t;
  };
  const stack: DtNode[] = [];
  let root: DtNode | undefined;
  for (;;) {
    const tokAt = at;
    const t = token();
    if (t === FDT_NOP) continue;
    if (t === FDT_BEGIN_NODE) {
      const [name, next] = cstring(at, end, 'node name');
      at = h.off_dt_struct + pad4(next - h.off_dt_struct);
      const node = new DtNode(name);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(node);
      else if (root) throw new DtbError('second root node', tokAt);
      else root = node;
      if (stack.length >= MAX_DEPTH) throw new DtbError(`nodes nested deeper than ${MAX_DEPTH}`, tokAt);
      stack.push(node);
    } else if (t === FDT_END_NODE) {
      if (!stack.pop()) throw new DtbError('FDT_END_NODE with no open node', tokAt);
    } else if (t === FDT_PROP) {
      const node = stack[stack.length - 1];
      if (!node) throw new DtbError('property outside any node', tokAt);
      const len = token();
      const nameoff = token();
      if (len > end - at) throw new DtbError(`property of ${len} bytes runs past the structure block`, tokAt);
      if (nameoff >= h.size_dt_strings)
        throw new DtbError(`property name offset ${nameoff} outside the strings block`, tokAt + 8);
      const [name] = cstring(
        h.off_dt_strings + nameoff,
        h.off_dt_strings + h.size_dt_strings,
        'property name',
      );
      node.props.set(name, bytes.slice(at, at + len));
      at += pad4(len);
    } else if (t === FDT_END) {
      if (stack.length > 0) throw new DtbError(`FDT_END with ${stack.length} node(s) still open`, tokAt);
      if (!root) throw new DtbError('no root node', tokAt);
      return { root, bootCpuidPhys: h.boot_cpuid_phys, reserveMap };
    } else {
      throw new DtbError(`unknown token 0x${t.toString(16)}`, tokAt);
    }
  }
}
