// The lockless printk ring buffer (Linux 5.10+, kernel/printk/printk_ringbuffer.c) in simulated
// memory, laid out as vmcore-dmesg and makedumpfile walk it (what vmcore-dmesg and makedumpfile read; Linux kernel/printk/printk_ringbuffer.h): a
// descriptor ring, an info array and a text data ring. All state lives in memory, so a ring left by
// an earlier writer can be continued or read back.

import type { MemoryView, PhysicalMemory } from '../emulator/physical-memory.ts';
import { type ByteOrder, defineStruct } from '../emulator/struct.ts';
import { SYMBOLS, va } from './symbols.ts';

/** ASSUMPTION: CONFIG_LOG_BUF_SHIFT=18 (256 KiB of text) and 2^13 descriptors. */
export const COUNT_BITS = 13;
export const SIZE_BITS = 18;
const COUNT = 2 ** COUNT_BITS;
const DATA_SIZE = 2 ** SIZE_BITS;
const ID_MASK = (1n << 62n) - 1n;
const STATE_COMMITTED = 1n;
const STATE_FINALIZED = 2n;
const STATE_REUSABLE = 3n;

export const PRINTK_RINGBUFFER = defineStruct({
  name: 'printk_ringbuffer',
  size: 80,
  order: 'native',
  spec: 'Linux kernel/printk/printk_ringbuffer.h',
  c: { nested: { desc_ring: 'prb_desc_ring', text_data_ring: 'prb_data_ring' } },
  fields: [
    {
      name: 'count_bits',
      type: 'u32',
      doc: 'desc_ring.count_bits',
      c: { in: 'desc_ring', type: 'unsigned int' },
    },
    { name: 'pad0', type: 'u32', doc: '', reserved: true, c: { in: 'desc_ring' } },
    {
      name: 'descs',
      type: 'u64',
      doc: 'desc_ring.descs (virtual address)',
      c: { in: 'desc_ring', type: 'struct prb_desc *' },
    },
    {
      name: 'infos',
      type: 'u64',
      doc: 'desc_ring.infos (virtual address)',
      c: { in: 'desc_ring', type: 'struct printk_info *' },
    },
    { name: 'head_id', type: 'u64', doc: 'desc_ring.head_id', c: { in: 'desc_ring', type: 'atomic_long_t' } },
    { name: 'tail_id', type: 'u64', doc: 'desc_ring.tail_id', c: { in: 'desc_ring', type: 'atomic_long_t' } },
    {
      name: 'size_bits',
      type: 'u32',
      doc: 'text_data_ring.size_bits',
      c: { in: 'text_data_ring', type: 'unsigned int' },
    },
    { name: 'pad1', type: 'u32', doc: '', reserved: true, c: { in: 'text_data_ring' } },
    {
      name: 'data',
      type: 'u64',
      doc: 'text_data_ring.data (virtual address)',
      c: { in: 'text_data_ring', type: 'char *' },
    },
    {
      name: 'head_lpos',
      type: 'u64',
      doc: 'text_data_ring.head_lpos',
      c: { in: 'text_data_ring', type: 'atomic_long_t' },
    },
    {
      name: 'tail_lpos',
      type: 'u64',
      doc: 'text_data_ring.tail_lpos',
      c: { in: 'text_data_ring', type: 'atomic_long_t' },
    },
    { name: 'fail', type: 'u64', doc: 'failed reservations', c: { type: 'atomic_long_t' } },
  ],
} as const);

export const PRB_DESC = defineStruct({
  name: 'prb_desc',
  size: 24,
  order: 'native',
  spec: 'Linux kernel/printk/printk_ringbuffer.h',
  c: { nested: { text_blk_lpos: 'prb_data_blk_lpos' } },
  fields: [
    {
      name: 'state_var',
      type: 'u64',
      doc: '(state << 62) | id; 1 committed, 2 finalized, 3 reusable',
      c: { type: 'atomic_long_t' },
    },
    {
      name: 'begin',
      type: 'u64',
      doc: 'text_blk_lpos.begin',
      c: { in: 'text_blk_lpos', type: 'unsigned long' },
    },
    {
      name: 'next',
      type: 'u64',
      doc: 'text_blk_lpos.next',
      c: { in: 'text_blk_lpos', type: 'unsigned long' },
    },
  ],
} as const);

export const PRINTK_INFO = defineStruct({
  name: 'printk_info',
  size: 88,
  order: 'native',
  spec: 'Linux kernel/printk/printk_ringbuffer.h',
  fields: [
    { name: 'seq', type: 'u64', doc: 'sequence number' },
    { name: 'ts_nsec', type: 'u64', doc: 'timestamp, ns since boot' },
    { name: 'text_len', type: 'u16', doc: 'length of the text' },
    { name: 'facility', type: 'u8', doc: 'syslog facility' },
    {
      name: 'flags_level',
      type: 'u8',
      doc: 'flags:5, level:3 (level in bits 7..5 on LE, 2..0 on BE)',
      c: {
        bits: [
          { name: 'flags', width: 5 },
          { name: 'level', width: 3 },
        ],
      },
    },
    { name: 'caller_id', type: 'u32', doc: 'thread or CPU id' },
    {
      name: 'dev_info',
      type: 'bytes',
      size: 64,
      doc: 'dev_printk_info: subsystem[16], device[48]',
      c: { type: 'struct dev_printk_info' },
    },
  ],
} as const);

/** struct dev_printk_info: the device a record is about (empty for the model's records). */
export const DEV_PRINTK_INFO = defineStruct({
  name: 'dev_printk_info',
  size: 64,
  order: 'native',
  spec: 'Linux include/linux/dev_printk.h',
  fields: [
    { name: 'subsystem', type: 'bytes', size: 16, doc: 'PRINTK_INFO_SUBSYSTEM_LEN', c: { type: 'char' } },
    { name: 'device', type: 'bytes', size: 48, doc: 'PRINTK_INFO_DEVICE_LEN', c: { type: 'char' } },
  ],
} as const);

export interface LogRecord {
  seq: bigint;
  tsNs: bigint;
  level: number;
  text: string;
}

const RB = SYMBOLS.printk_rb_static;
const align8 = (n: number) => Math.ceil(n / 8) * 8;
const descAt = (id: bigint) => SYMBOLS.printk_descs + Number(id % BigInt(COUNT)) * PRB_DESC.size;
const infoAt = (id: bigint) => SYMBOLS.printk_infos + Number(id % BigInt(COUNT)) * PRINTK_INFO.size;

export class PrintkRing {
  constructor(
    private mem: PhysicalMemory,
    private order: ByteOrder,
  ) {}

  /** An empty ring: descriptor 0 reusable (no data), head = tail = 0. */
  init(): void {
    const m = this.mem;
    m.zero(SYMBOLS.printk_descs, COUNT * PRB_DESC.size);
    m.zero(SYMBOLS.printk_infos, COUNT * PRINTK_INFO.size);
    m.zero(SYMBOLS.printk_data, DATA_SIZE);
    m.write(
      descAt(0n),
      PRB_DESC.encode({ state_var: STATE_REUSABLE << 62n, begin: 0n, next: 0n }, this.order),
    );
    this.writeRb({
      count_bits: COUNT_BITS,
      descs: va(SYMBOLS.printk_descs),
      infos: va(SYMBOLS.printk_infos),
      head_id: 0n,
      tail_id: 0n,
      size_bits: SIZE_BITS,
      data: va(SYMBOLS.printk_data),
      head_lpos: 0n,
      tail_lpos: 0n,
      fail: 0n,
    });
    this.mem.writeU64(SYMBOLS.prb, va(RB), this.order);
  }

  private readRb() {
    return PRINTK_RINGBUFFER.decode(this.mem.read(RB, PRINTK_RINGBUFFER.size), this.order);
  }

  private writeRb(v: ReturnType<PrintkRing['readRb']>): void {
    this.mem.write(RB, PRINTK_RINGBUFFER.encode(v, this.order));
  }

  /** Appends one finalized record. Oldest records are evicted when either ring is full. */
  append(tsNs: bigint, level: number, text: string): LogRecord {
    const m = this.mem;
    const rb = this.readRb();
    const bytes = new TextEncoder().encode(text).subarray(0, 0xffff);
    const size = align8(8 + bytes.length);
    if (size > DATA_SIZE / 2) throw new RangeError('printk record larger than half the ring');
    const S = BigInt(DATA_SIZE);
    const begin = rb.head_lpos;
    // A block that would reach or cross the end of the ring goes to offset 0 of the next wrap
    // (get_next_lpos: DATA_WRAPS(begin) != DATA_WRAPS(begin + size)); begin keeps the old position.
    const wraps = begin / S !== (begin + BigInt(size)) / S;
    const next = wraps ? (begin / S + 1n) * S + BigInt(size) : begin + BigInt(size);
    const id = rb.head_id + 1n;
    // Evict the oldest records until the new block and the new descriptor fit.
    while (next - rb.tail_lpos > S || id - rb.tail_id >= BigInt(COUNT)) {
      const d = PRB_DESC.decode(m.read(descAt(rb.tail_id), PRB_DESC.size), this.order);
      m.write(
        descAt(rb.tail_id),
        PRB_DESC.encode({ ...d, state_var: (STATE_REUSABLE << 62n) | rb.tail_id }, this.order),
      );
      if (d.next > rb.tail_lpos) rb.tail_lpos = d.next;
      rb.tail_id++;
    }
    const at = SYMBOLS.printk_data + (wraps ? 0 : Number(begin % S));
    const block = new Uint8Array(size);
    new DataView(block.buffer).setBigUint64(0, id, this.order === 'le');
    block.set(bytes, 8);
    if (wraps) m.writeU64(SYMBOLS.printk_data + Number(begin % S), id, this.order);
    m.write(at, block);
    const prevSeq =
      rb.head_id === 0n && rb.tail_id === 0n
        ? -1n
        : PRINTK_INFO.decode(m.read(infoAt(rb.head_id), PRINTK_INFO.size), this.order).seq;
    const seq = prevSeq + 1n;
    m.write(
      infoAt(id),
      PRINTK_INFO.encode(
        {
          seq,
          ts_nsec: tsNs,
          text_len: bytes.length,
          facility: 0,
          flags_level: this.order === 'le' ? (level & 7) << 5 : level & 7,
          caller_id: 0,
          dev_info: new Uint8Array(64),
        },
        this.order,
      ),
    );
    m.write(
      descAt(id),
      PRB_DESC.encode({ state_var: (STATE_FINALIZED << 62n) | id, begin, next }, this.order),
    );
    rb.head_id = id;
    rb.head_lpos = next;
    this.writeRb(rb);
    return { seq, tsNs, level, text };
  }
}

/**
 * Reads the ring back as vmcore-dmesg does: from the prb pointer, ids tail..head, finalized or
 * committed descriptors whose id matches. Never throws on garbage; bounded by the ring size.
 */
export function readPrintkRing(
  view: MemoryView,
  order: ByteOrder,
  prbAddr: number = SYMBOLS.prb,
): LogRecord[] {
  const le = order === 'le';
  const u64 = (addr: number) => new DataView(view.peek(addr, 8).buffer).getBigUint64(0, le);
  const phys = (v: bigint) => Number(BigInt.asUintN(48, v - 0xc000000000000000n));
  const rbAddr = phys(u64(prbAddr));
  const rb = PRINTK_RINGBUFFER.decode(view.peek(rbAddr, PRINTK_RINGBUFFER.size), order);
  const out: LogRecord[] = [];
  if (rb.count_bits > 24 || rb.size_bits > 30) return out;
  const count = 2n ** BigInt(rb.count_bits);
  const S = 2n ** BigInt(rb.size_bits);
  const span = (rb.head_id - rb.tail_id) & ID_MASK;
  if (span >= count) return out;
  for (let i = 0n; i <= span; i++) {
    const id = (rb.tail_id + i) & ID_MASK;
    const d = PRB_DESC.decode(
      view.peek(phys(rb.descs) + Number(id % count) * PRB_DESC.size, PRB_DESC.size),
      order,
    );
    const state = d.state_var >> 62n;
    if ((d.state_var & ID_MASK) !== id || (state !== STATE_COMMITTED && state !== STATE_FINALIZED)) continue;
    const info = PRINTK_INFO.decode(
      view.peek(phys(rb.infos) + Number(id % count) * PRINTK_INFO.size, PRINTK_INFO.size),
      order,
    );
    const off = d.begin % S > d.next % S ? 0n : d.begin % S;
    if (info.text_len > Number(S)) continue;
    const text = new TextDecoder().decode(view.peek(phys(rb.data) + Number(off) + 8, info.text_len));
    const level = le ? info.flags_level >> 5 : info.flags_level & 7;
    out.push({ seq: info.seq, tsNs: info.ts_nsec, level, text });
  }
  return out;
}

/** A record as vmcore-dmesg prints it: `[%5llu.%06llu] text`. */
export function formatDmesgLine(r: LogRecord): string {
  const sec = r.tsNs / 1_000_000_000n;
  const usec = (r.tsNs % 1_000_000_000n) / 1000n;
  return `[${sec.toString().padStart(5)}.${usec.toString().padStart(6, '0')}] ${r.text}`;
}
