// `fadump-sim explain [scenario]`: a narrated walk through one run for people learning fadump —
// the machine and its memory map, every event in order (firmware calls with their arguments and
// status), and annotated hex of the structures that carry the dump across the reboot, printed from
// the same field tables that encode them.

import type { SimEvent } from '../emulator/events.ts';
import { fmtSize } from '../emulator/machine.ts';
import type { MemoryView } from '../emulator/physical-memory.ts';
import { DUMP_HEADER, DUMP_SECTION, REG_ENTRY, SECTION_TYPE } from '../firmware/rtas/fadump-structs.ts';
import { CRASH_INFO_HEADER, CRASH_INFO_HEADER_OLD } from '../kernel-model/crash-info-header.ts';
import { ELF64_EHDR, ELF64_PHDR } from '../kernel-model/elf.ts';
import { FDM_ADDR } from '../kernel-model/kernel-layout.ts';
import type { Scenario } from '../scenarios/builder.ts';

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

function describeEvent(e: SimEvent): string | undefined {
  const d = e.detail;
  const t = `${(Number(e.t) / 1e9).toFixed(6).padStart(12)} s`;
  switch (e.kind) {
    case 'boot':
      return `${t}  firmware boots the partition (boot ${d.boot}); the device tree (${d.bytes ?? '?'} bytes) is at ${hex(Number(d.fdt))}${d.mpiplBoot ? ', with mpipl-boot' : ''}`;
    case 'call': {
      const args = (d.args as number[] | undefined)?.map((a) => hex(a >>> 0)).join(', ') ?? '';
      return `${t}  RTAS ${d.name}(${args}) -> ${d.status}`;
    }
    case 'opal-call':
      return `${t}  OPAL ${d.name}(${(d.args as string[]).map((a) => hex(BigInt(a))).join(', ')}) -> ${d.status}`;
    case 'reject':
      return `${t}    firmware refuses: ${d.reason}`;
    case 'registered':
      return `${t}  firmware keeps a private copy of the dump structure (${d.sections} sections)`;
    case 'os-term':
      return `${t}  the kernel terminates through ibm,os-term: "${d.message}"${d.dumpRegistered ? ' — a dump is registered, so firmware takes it' : ''}`;
    case 'dump-processed':
      return `${t}  firmware processed ${d.sections} sections; dump status ${hex(Number(d.status))}`;
    case 'mpipl-dump':
      return `${t}  SBE/hostboot preserve ${d.preserved} ranges and the registers of ${d.threads} threads`;
    case 'reset':
      return `${t}  the partition resets, keeping memory (${d.reason})`;
    case 'dlpar-assign':
    case 'dlpar-unassign':
      return `${t}  DLPAR: firmware ${e.kind === 'dlpar-assign' ? 'assigns' : 'unassigns'} ${(d.drcIndexes as number[]).length} LMB(s)`;
    case 'invalidated':
      return `${t}  the fadump kernel invalidates the dump: firmware forgets it`;
    case 'elfcorehdr-overflow':
      return `${t}  the legacy elfcorehdr overflows its buffer by ${d.bytes} bytes at ${hex(Number(d.at))}`;
    default:
      return undefined;
  }
}

/** Runs the scenario and narrates it. */
export async function explain(scenario: Scenario, outDir: string): Promise<string> {
  const events: SimEvent[] = [];
  const { summary, machine, snapshots, captures } = await scenario.run(outDir, {
    afterBoot: (m) => {
      events.push(...m.events.events);
      m.events.on((e) => events.push(e));
    },
  });
  const o = scenario.toOptions();
  const out: string[] = [];
  const section = (title: string) =>
    out.push('', `== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`);

  section('The machine');
  out.push(
    `${o.platform} partition, ${fmtSize(o.memory)} in ${fmtSize(o.lmbSize)} LMBs, ${o.cpus} CPU threads, ${o.endian === 'le' ? 'ppc64le' : 'ppc64 (big-endian)'}, ${o.platform === 'pseries' ? `${o.firmware} firmware` : 'skiboot'}; first kernel ${o.kernel}, fadump kernel ${o.captureKernel ?? o.kernel}.`,
  );
  out.push('Assigned memory:');
  for (const r of machine.blocks.assignedRanges())
    out.push(`  ${hex(r.base).padStart(14)} - ${hex(r.base + r.size - 1).padEnd(14)} ${fmtSize(r.size)}`);

  section('What happened, in order');
  for (const e of events) {
    const line = describeEvent(e);
    if (line) out.push(line);
  }

  const c = summary.cycles[0]!;
  section('The first kernel');
  out.push(...c.console.crashed.map((l) => `  ${l}`));
  section('The fadump kernel');
  out.push(...c.console.capture.map((l) => `  ${l}`));

  const crash = snapshots[0];
  if (crash && o.platform === 'pseries') {
    section('The RTAS dump structure the kernel registered (big-endian, firmware reads it)');
    const head = crash.peek(FDM_ADDR, DUMP_HEADER.size);
    out.push(DUMP_HEADER.annotate(head));
    const n = DUMP_HEADER.decode(head).dump_num_sections;
    for (let i = 0; i < n; i++) {
      out.push(DUMP_SECTION.annotate(crash.peek(FDM_ADDR + 40 + i * 40, 40)));
    }
  }
  const layout = crash && o.platform === 'pseries' ? registeredLayout(crash) : undefined;
  if (crash && layout) {
    const table = o.kernel === 'legacy' ? CRASH_INFO_HEADER_OLD : CRASH_INFO_HEADER;
    section('The crash info header (kernel byte order), as crash_fadump left it');
    out.push(table.annotate(crash.peek(layout.header, table.size), o.endian));
  }
  const cap = captures[0];
  if (cap) {
    section('The ELF header of /proc/vmcore (kernel byte order)');
    out.push(ELF64_EHDR.annotate(cap.layout.header, o.endian));
    for (let i = 0; i < Math.min(4, 1 + cap.layout.loads.length); i++) {
      out.push(ELF64_PHDR.annotate(cap.layout.header, o.endian, ELF64_EHDR.size + i * ELF64_PHDR.size));
    }
  }
  if (layout && c.dump.status === 'captured') {
    section('The register save area firmware wrote (first entries)');
    const first = o.firmware === 'qemu' ? 0x14 : 0x20;
    for (let i = 0; i < 3; i++)
      out.push(REG_ENTRY.annotate(machine.memory.peek(layout.regsave + first + i * 16, 16)));
  }
  section('Outcome');
  out.push(
    `dump ${c.dump.status}${c.dump.reason ? ` (${c.dump.reason})` : ''}; verify ${JSON.stringify(c.verify)}; files in ${outDir}`,
  );
  return out.join('\n');
}

/**
 * From the dump structure the kernel registered (as it was at the crash): the crash info header sits
 * right after the boot-memory copies, the register save area at the CPU section's destination.
 */
function registeredLayout(crash: MemoryView): { header: number; regsave: number } | undefined {
  const head = DUMP_HEADER.decode(crash.peek(FDM_ADDR, DUMP_HEADER.size));
  if (head.dump_format_version !== 1 || head.dump_num_sections > 10) return undefined;
  let regsave: number | undefined;
  let dest: number | undefined;
  let size = 0;
  for (let i = 0; i < head.dump_num_sections; i++) {
    const s = DUMP_SECTION.decode(
      crash.peek(FDM_ADDR + DUMP_HEADER.size + i * DUMP_SECTION.size, DUMP_SECTION.size),
    );
    if (s.source_data_type === SECTION_TYPE.CpuState) regsave = Number(s.destination_address);
    if (s.source_data_type === SECTION_TYPE.RealModeRegion) {
      if (s.source_address === 0n) dest = Number(s.destination_address);
      size += Number(s.source_len);
    }
  }
  return regsave === undefined || dest === undefined ? undefined : { header: dest + size, regsave };
}
