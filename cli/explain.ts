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
  narrate,
  pageTable,
  pageTableText,
  type RunOptions,
  runScenario,
  type SimEvent,
  withDump,
} from '../api/core.ts';
import { paint } from './colour.ts';

function describeEvent(e: SimEvent): string | undefined {
  const text = narrate(e);
  if (text === undefined) return undefined;
  // What firmware refused, under the call it refused.
  const indent = e.kind === 'reject' || e.kind === 'dump-error' ? '    ' : '  ';
  return `${(Number(e.t) / 1e9).toFixed(6).padStart(12)} s${indent}${text}`;
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
