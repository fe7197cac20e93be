// `fadump-sim inspect FILE`: what a vmcore (or OPAL core) or a device tree blob holds, as text or JSON.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import {
  type DtNode,
  type DumpContents,
  DumpFileError,
  decodeDtb,
  type ElfDumpContents,
  formatOf,
  type KdumpContents,
  withDump,
} from '../api/core.ts';

const hex = (v: bigint | number) => `0x${v.toString(16)}`;
const PT_NAMES: Record<number, string> = { 0: 'NULL', 1: 'LOAD', 4: 'NOTE' };

function head(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(4);
    readSync(fd, b, 0, 4, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** What inspect shows, and what it found wrong with the file while still showing what is there. */
export interface Inspection {
  text: string;
  /** Parts of the file the headers promise that the file does not hold (a truncated core). */
  warnings: string[];
}

export function inspect(path: string, json: boolean): string {
  return inspectFile(path, json).text;
}

/** The page size of ppc64 kernels as modelled (64 KiB), for an ELF core without VMCOREINFO. */
const PAGE = 0x10000;

/**
 * The page frame holding physical address `paddr` as the dump holds it: whether the dump describes
 * it and holds it (or left it out, or holds it as the shared zero page), and its bytes as a hex dump
 * in which a run of identical lines is one `*`, as hexdump prints them.
 */
export function inspectPage(path: string, paddr: number, json: boolean): Inspection {
  const format = formatOf(path);
  if (!format) throw new DumpFileError('not a vmcore: neither an ELF core nor a kdump-compressed file', 0);
  let base = 0;
  let size = PAGE;
  const inside = (rs: readonly { base: number; size: number }[]) =>
    rs.some((r) => base < r.base + r.size && r.base < base + size);
  const { state, data } = withDump(path, format, (d) => {
    const c = d.contents;
    // A kdump file's page is its block size; an ELF core's is VMCOREINFO's PAGESIZE (else 64 KiB).
    size = c.granule > 1 ? c.granule : Number(c.vmcoreinfo?.PAGESIZE) || PAGE;
    base = Math.floor(paddr / size) * size;
    const described = inside(c.loads.map((l) => ({ base: l.paddr, size: l.size })));
    const state = !described
      ? 'not in the dump: no PT_LOAD or 1st-bitmap bit describes it'
      : inside(c.leftOut)
        ? `left out by dump level ${c.dumpLevel}: the file does not hold it`
        : inside(c.sharedZero)
          ? 'held as the shared zero page'
          : 'held';
    return { state, data: d.read(base, size).data };
  });
  const pfn = base / size;
  if (json)
    return {
      text: JSON.stringify(
        { paddr: hex(base), pfn, state, bytes: Buffer.from(data).toString('hex') },
        null,
        2,
      ),
      warnings: [],
    };
  const lines = [`page frame ${hex(pfn)} at ${hex(base)} (${size / 1024} KiB): ${state}`];
  let last = '';
  let starred = false;
  for (let at = 0; at < size; at += 16) {
    const row = data.subarray(at, at + 16);
    const bytes = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    if (bytes === last && at + 16 < size) {
      if (!starred) lines.push('*');
      starred = true;
      continue;
    }
    last = bytes;
    starred = false;
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(base + at).toString(16).padStart(16, '0')}  ${bytes}  |${ascii}|`);
  }
  return { text: lines.join('\n'), warnings: [] };
}

/** The crashed kernel's log in a vmcore (ELF or kdump), as vmcore-dmesg prints it. */
export function inspectDmesg(path: string, json: boolean): Inspection {
  const format = formatOf(path);
  if (!format) throw new DumpFileError('not a vmcore: neither an ELF core nor a kdump-compressed file', 0);
  const lines = withDump(path, format, (d) => d.contents.dmesg);
  return { text: json ? JSON.stringify(lines, null, 2) : lines.join('\n'), warnings: [] };
}

export function inspectFile(path: string, json: boolean): Inspection {
  const magic = head(path);
  if (magic[0] === 0xd0 && magic[1] === 0x0d && magic[2] === 0xfe && magic[3] === 0xed) {
    const dtb = decodeDtb(new Uint8Array(readFileSync(path)));
    const text = json ? JSON.stringify(treeJson(dtb.root), null, 2) : `/dts-v1/;\n${treeText(dtb.root, 0)}`;
    return { text, warnings: [] };
  }
  // Anything that is not a device tree blob is read as the default format, whose reader says what is wrong.
  const format = formatOf(path) ?? 'elf';
  if (format === 'kdump') {
    const k = withDump(path, format, (d) => d.contents as KdumpContents);
    const text = json
      ? JSON.stringify({ ...k, warnings: [] }, (_, v) => (typeof v === 'bigint' ? hex(v) : v), 2)
      : kdumpText(path, k);
    return { text, warnings: [] };
  }
  const r = withDump(path, format, (d) => d.contents as ElfDumpContents);
  const size = statSync(path).size;
  const warnings = r.loads.flatMap((l, i) =>
    l.fileOffset + l.fileSize > size
      ? [
          `PT_LOAD ${i} (paddr ${hex(l.paddr)}, ${l.fileSize} bytes at offset ${hex(l.fileOffset)}) ends past the end of the file (${size} bytes): the file is truncated, and what it lacks reads as zeros`,
        ]
      : [],
  );
  const text = json
    ? JSON.stringify({ ...r, warnings }, (_, v) => (typeof v === 'bigint' ? hex(v) : v), 2)
    : vmcoreText(path, r);
  return { text, warnings };
}

function kdumpText(path: string, k: KdumpContents): string {
  const out = [
    `${path}: kdump-compressed (makedumpfile header version ${k.headerVersion}), ${k.order === 'le' ? 'little' : 'big'}-endian, release ${k.release}`,
    `block size ${k.blockSize}, dump level ${k.dumpLevel}, status ${hex(k.status)}, ${k.nrCpus} CPUs, max_mapnr ${hex(k.maxMapnr)}`,
    `pages: ${k.pagesDescribed} in memory, ${k.pagesDumped} dumped, ${k.pagesDescribed - k.pagesDumped} left out`,
    `memory (${k.loads.length} ranges):`,
    ...k.loads.map((l) => `  paddr ${hex(l.paddr).padEnd(14)} size ${hex(l.size)}`),
  ];
  return [...out, ...commonText(k)].join('\n');
}

function vmcoreText(path: string, r: ElfDumpContents): string {
  const out = [`${path}: ELF64 core, ${r.order === 'le' ? 'little' : 'big'}-endian, machine ${r.machine}`];
  out.push(`program headers (${r.phdrs.length}):`);
  for (const p of r.phdrs) {
    out.push(
      `  ${(PT_NAMES[p.type] ?? hex(p.type)).padEnd(5)} offset ${hex(p.offset).padEnd(12)} paddr ${hex(p.paddr).padEnd(14)} size ${hex(p.memsz)}`,
    );
  }
  return [...out, ...commonText(r)].join('\n');
}

/** The notes, CPUs, VMCOREINFO and log: what every format holds. */
function commonText(r: DumpContents): string[] {
  const out: string[] = [];
  const kinds = new Map<string, number>();
  for (const n of r.notes) kinds.set(`${n.name}/${n.type}`, (kinds.get(`${n.name}/${n.type}`) ?? 0) + 1);
  out.push(`notes: ${[...kinds].map(([k, n]) => `${n} × ${k}`).join(', ')}`);
  out.push(`CPUs (${r.cpus.length}):`);
  for (const { pid, regs } of r.cpus)
    out.push(
      `  pid ${pid}: nip ${hex(regs.nip)} lr ${hex(regs.link)} r1 ${hex(regs.gpr[1]!)} msr ${hex(regs.msr)}`,
    );
  const info = r.vmcoreinfo ?? {};
  const keys = ['OSRELEASE', 'PAGESIZE', 'CRASHTIME'].filter((k) => info[k] !== undefined);
  out.push(`VMCOREINFO: ${Object.keys(info).length} keys; ${keys.map((k) => `${k}=${info[k]}`).join(' ')}`);
  out.push(`dmesg (${r.dmesg.length} lines):`, ...r.dmesg.map((l) => `  ${l}`));
  return out;
}

function propText(v: Uint8Array): string {
  if (v.length === 0) return '';
  const printable =
    v[v.length - 1] === 0 && v.subarray(0, -1).every((b) => b === 0 || (b >= 0x20 && b < 0x7f));
  if (printable)
    return ` = ${new TextDecoder()
      .decode(v.subarray(0, -1))
      .split('\0')
      .map((x) => `"${x}"`)
      .join(', ')}`;
  if (v.length % 4 === 0) {
    const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
    return ` = <${Array.from({ length: v.length / 4 }, (_, i) => hex(d.getUint32(i * 4))).join(' ')}>`;
  }
  return ` = [${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
}

function treeText(n: DtNode, depth: number): string {
  const pad = '\t'.repeat(depth);
  const lines = [`${pad}${n.name || '/'} {`];
  for (const [k, v] of n.props) lines.push(`${pad}\t${k}${propText(v)};`);
  for (const c of n.children) lines.push(treeText(c, depth + 1));
  lines.push(`${pad}};`);
  return lines.join('\n');
}

function treeJson(n: DtNode): unknown {
  return {
    name: n.name,
    props: Object.fromEntries([...n.props].map(([k, v]) => [k, Array.from(v)])),
    children: n.children.map(treeJson),
  };
}
