// `fadump-sim explain [scenario]`: a narrated walk through one run for people learning fadump —
// the machine and its memory map, every event in order (firmware calls with their arguments and
// status), and annotated hex of the structures that carry the dump across the reboot, printed from
// the same field tables that encode them.

import { closeSync, openSync, readSync } from 'node:fs';
import {
  DISK_DUMP_HEADER,
  ELF64_EHDR,
  ELF64_PHDR,
  fmtSize,
  formatMemoryMap,
  KDUMP_SUB_HEADER,
  pageTable,
  pageTableText,
  type RunOptions,
  runScenario,
  type SimEvent,
  withDump,
} from '../api/core.ts';
import { paint } from './colour.ts';

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

function describeEvent(e: SimEvent): string | undefined {
  const t = `${(Number(e.t) / 1e9).toFixed(6).padStart(12)} s`;
  switch (e.kind) {
    case 'boot':
      return `${t}  firmware boots the partition (boot ${e.detail.boot}); the device tree (${e.detail.bytes} bytes) is at ${hex(Number(e.detail.fdt))}${e.detail.mpiplBoot ? ', with mpipl-boot' : ''}`;
    case 'call': {
      const args = e.detail.args?.map((a) => hex(a >>> 0)).join(', ') ?? '';
      return `${t}  RTAS ${e.detail.name}(${args}) -> ${e.detail.status}`;
    }
    case 'opal-call':
      return `${t}  OPAL ${e.detail.name}(${e.detail.args.map((a) => hex(BigInt(a))).join(', ')}) -> ${e.detail.status}`;
    case 'reject':
      return `${t}    firmware refuses ${e.detail.call}: ${e.detail.reason}${e.detail.value ? ` (${e.detail.value})` : ''} -> ${e.detail.status}`;
    case 'dump-error':
      return `${t}    firmware: ${e.detail.what}: ${e.detail.reason}${e.detail.value ? ` (${e.detail.value})` : ''}${e.detail.flags ? `; error flags ${e.detail.flags}` : ''}`;
    case 'registered':
      return `${t}  firmware keeps a private copy of the dump structure (${e.detail.sections} sections)`;
    case 'os-term':
      return `${t}  the kernel terminates through ibm,os-term: "${e.detail.message}"${e.detail.dumpRegistered ? ' — a dump is registered, so firmware takes it' : ''}`;
    case 'dump-processed':
      return `${t}  firmware processed ${e.detail.sections} sections; dump status ${hex(Number(e.detail.status))}`;
    case 'mpipl-dump':
      return `${t}  SBE/hostboot preserve ${e.detail.preserved} ranges and the registers of ${e.detail.threads} threads`;
    case 'reset':
      return `${t}  the partition resets, keeping memory (${e.detail.reason})`;
    case 'dlpar-assign':
    case 'dlpar-unassign':
      return `${t}  DLPAR: firmware ${e.kind === 'dlpar-assign' ? 'assigns' : 'unassigns'} ${e.detail.drcIndexes.length} LMB(s)`;
    case 'invalidated':
      return `${t}  the fadump kernel invalidates the dump: firmware forgets it`;
    case 'elfcorehdr-overflow':
      return `${t}  the legacy elfcorehdr overflows its buffer by ${e.detail.bytes} bytes at ${hex(Number(e.detail.at))}`;
    case 'fadump-registered':
      return `${t}  the kernel now has fadump registered (/sys/kernel/fadump/registered reads 1)`;
    case 'fadump-unregistered':
      return `${t}  the kernel unregistered fadump: a crash now would give no dump`;
    case 'uevent':
      return `${t}  uevent: memory${e.detail.block} ${e.detail.action}`;
    case 'panic':
      return `${t}  CPU ${e.detail.cpu} panics ("${e.detail.message}"); the panic path calls crash_fadump`;
    case 'nmi':
      return `${t}  a system reset (NMI) reaches every CPU; CPU ${e.detail.cpu} enters crash_fadump first`;
    case 'vmcore-ready':
      return `${t}  the fadump kernel checked the crash info header and the firmware's sections, wrote ${e.detail.notes} CPU notes and built the elfcorehdr (${e.detail.bytes} bytes at ${hex(Number(e.detail.elfcorehdr))}): /proc/vmcore is ready`;
    case 'dump-refused':
      return `${t}  the fadump kernel refuses the dump: ${e.detail.reason}`;
    case 'dump-released':
      return `${t}  the vmcore is saved; userspace writes 1 to /sys/kernel/fadump/release_mem`;
    case 'corrupt':
      return `${t}  (injected) memory is damaged before the fadump kernel boots: ${e.detail.what}`;
    default:
      return undefined;
  }
}

/** Runs the scenario and narrates it. */
export async function explain(o: RunOptions, outDir: string): Promise<string> {
  const { summary, machine, captures, maps, structures } = await runScenario(o, outDir);
  const out: string[] = [];
  const section = (title: string) =>
    out.push('', paint.bold(`== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`));

  section('The machine');
  out.push(
    `${o.platform === 'pseries' ? 'pSeries LPAR' : 'PowerNV system'}, ${fmtSize(o.memory)} in ${fmtSize(o.lmbSize)} ${o.platform === 'pseries' ? 'LMBs' : 'memory blocks'}, ${o.cpus} CPU threads, ${o.endian === 'le' ? 'ppc64le' : 'ppc64 (big-endian)'}, ${o.platform === 'pseries' ? `${o.firmware} firmware` : 'skiboot'}; first kernel ${o.kernel}, fadump kernel ${o.captureKernel ?? o.kernel}.`,
  );
  const first = maps[0];
  if (first) {
    section('Memory once the first kernel registered fadump');
    out.push(...formatMemoryMap(first));
  }

  section('What happened, in order');
  for (const e of machine.events.events) {
    const line = describeEvent(e);
    if (line) out.push(line);
  }

  for (const m of maps.slice(1)) {
    section(`Memory map: ${m.phase}`);
    out.push(...formatMemoryMap(m));
  }

  const c = summary.cycles[0]!;
  section('The first kernel');
  out.push(...c.console.crashed.map((l) => `  ${l}`));
  section('The fadump kernel');
  out.push(...c.console.capture.map((l) => `  ${l}`));

  for (const s of structures) {
    section(s.title);
    out.push(s.text);
  }
  const cap = captures[0];
  if (cap?.format === 'elf') {
    // Read back from the written vmcore, as the dump tools see it.
    const { order, phnum } = withDump(cap.path, cap.format, (r) => ({
      order: r.contents.order,
      phnum: 1 + r.contents.loads.length,
    }));
    const header = fileHead(cap.path, ELF64_EHDR.size + Math.min(4, phnum) * ELF64_PHDR.size);
    section('The ELF header of /proc/vmcore (kernel byte order)');
    out.push(ELF64_EHDR.annotate(header, order));
    for (let i = 0; i < Math.min(4, phnum); i++) {
      out.push(ELF64_PHDR.annotate(header, order, ELF64_EHDR.size + i * ELF64_PHDR.size));
    }
  } else if (cap?.format === 'kdump') {
    const { order, block } = withDump(cap.path, 'kdump', (r) => ({
      order: r.contents.order,
      block: r.contents.granule,
    }));
    const head = fileHead(cap.path, block + KDUMP_SUB_HEADER.size);
    section('The kdump-compressed header makedumpfile wrote (kernel byte order)');
    out.push(DISK_DUMP_HEADER.annotate(head, order));
    out.push(KDUMP_SUB_HEADER.annotate(head, order, block));
  }
  const pages = pageTable(c);
  if (pages) {
    section('What the dump holds, memory block by memory block');
    out.push(...pageTableText(pages));
  }
  section('Outcome');
  out.push(
    `dump ${c.dump.status}${c.dump.reason ? ` (${c.dump.reason})` : ''}; verify ${JSON.stringify(c.verify)}; files in ${outDir} (open report.html for the same run drawn)`,
  );
  return out.join('\n');
}

/** The first `len` bytes of a file. */
function fileHead(path: string, len: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(len);
    readSync(fd, b, 0, len, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}
