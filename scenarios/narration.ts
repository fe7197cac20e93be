// One sentence per event, for people learning fadump: what the machine, firmware or a kernel did,
// with a firmware call's arguments and status. `explain` prints them in order; the report's player
// steps through them.

import type { SimEvent } from '../emulator/events.ts';

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

/** The event in words, or undefined for events that are only bookkeeping. */
export function narrate(e: SimEvent): string | undefined {
  switch (e.kind) {
    case 'boot':
      return `firmware boots the partition (boot ${e.detail.boot}); the device tree (${e.detail.bytes} bytes) is at ${hex(Number(e.detail.fdt))}${e.detail.mpiplBoot ? ', with mpipl-boot' : ''}`;
    case 'call': {
      const args = e.detail.args?.map((a) => hex(a >>> 0)).join(', ') ?? '';
      return `RTAS ${e.detail.name}(${args}) -> ${e.detail.status}`;
    }
    case 'opal-call':
      return `OPAL ${e.detail.name}(${e.detail.args.map((a) => hex(BigInt(a))).join(', ')}) -> ${e.detail.status}`;
    case 'reject':
      return `firmware refuses ${e.detail.call}: ${e.detail.reason}${e.detail.value ? ` (${e.detail.value})` : ''} -> ${e.detail.status}`;
    case 'dump-error':
      return `firmware: ${e.detail.what}: ${e.detail.reason}${e.detail.value ? ` (${e.detail.value})` : ''}${e.detail.flags ? `; error flags ${e.detail.flags}` : ''}`;
    case 'registered':
      return `firmware keeps a private copy of the dump structure (${e.detail.sections} sections)`;
    case 'os-term':
      return `the kernel terminates through ibm,os-term: "${e.detail.message}"${e.detail.dumpRegistered ? ' — a dump is registered, so firmware takes it' : ''}`;
    case 'dump-processed':
      return `firmware processed ${e.detail.sections} sections; dump status ${hex(Number(e.detail.status))}`;
    case 'mpipl-dump':
      return `SBE/hostboot preserve ${e.detail.preserved} ranges and the registers of ${e.detail.threads} threads`;
    case 'reset':
      return `the partition resets, keeping memory (${e.detail.reason})`;
    case 'dlpar-assign':
    case 'dlpar-unassign':
      return `DLPAR: firmware ${e.kind === 'dlpar-assign' ? 'assigns' : 'unassigns'} ${e.detail.drcIndexes.length} LMB(s)`;
    case 'invalidated':
      return `the fadump kernel invalidates the dump: firmware forgets it`;
    case 'elfcorehdr-built':
      return `the kernel builds the elfcorehdr after the crash info header, at ${hex(e.detail.at)}: ${e.detail.bytes} bytes of the ${e.detail.room} the reserved area leaves it`;
    case 'elfcorehdr-overflow':
      return `the legacy elfcorehdr overflows its buffer by ${e.detail.bytes} bytes at ${hex(Number(e.detail.at))}`;
    case 'fadump-registered':
      return `the kernel now has fadump registered (/sys/kernel/fadump/registered reads 1)`;
    case 'fadump-unregistered':
      return `the kernel unregistered fadump: a crash now would give no dump`;
    case 'uevent':
      return `uevent: memory${e.detail.block} ${e.detail.action}`;
    case 'panic':
      return `CPU ${e.detail.cpu} panics ("${e.detail.message}"); the panic path calls crash_fadump`;
    case 'nmi':
      return `a system reset (NMI) reaches every CPU; CPU ${e.detail.cpu} enters crash_fadump first`;
    case 'vmcore-ready':
      return `the fadump kernel checked the crash info header and the firmware's sections, wrote ${e.detail.notes} CPU notes and built the elfcorehdr (${e.detail.bytes} bytes at ${hex(Number(e.detail.elfcorehdr))}): /proc/vmcore is ready`;
    case 'dump-refused':
      return `the fadump kernel refuses the dump: ${e.detail.reason}`;
    case 'dump-released':
      return `the vmcore is saved; userspace writes 1 to /sys/kernel/fadump/release_mem`;
    case 'corrupt':
      return `(injected) memory is damaged before the fadump kernel boots: ${e.detail.what}`;
    default:
      return undefined;
  }
}
