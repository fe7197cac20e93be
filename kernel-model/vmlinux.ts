// The kernel image ("vmlinux") at its fixed low physical addresses: text, init_uts_ns, the printk
// ring and the vmcoreinfo note (memmap.ts writes the memory map at boot). Every boot loads it at the same place, so the
// capture kernel overwrites the crashed kernel's copy in boot memory.

import type { PhysicalMemory } from '../emulator/physical-memory.ts';
import { type ByteOrder, defineStruct } from '../emulator/struct.ts';
import { PrintkRing } from './printk-ring.ts';
import { PAGE_SIZE, SYMBOLS } from './symbols.ts';
import { vmcoreinfoText, writeVmcoreinfoNote } from './vmcoreinfo.ts';

export {
  KERNEL_IMAGE_END,
  KERNEL_VBASE,
  OSRELEASE,
  PAGE_SIZE,
  SYMBOLS,
  va,
} from './symbols.ts';

/** Bytes of kernel text the image holds at _stext: 2 MiB, where every modelled NIP, LR and CTR points. */
export const TEXT_BYTES = 32 * PAGE_SIZE;
const UTS_FIELD = 65;
const utsName = (name: string, doc: string) =>
  ({ name, type: 'bytes', size: UTS_FIELD, doc, c: { in: 'name', type: 'char' } }) as const;

/** struct uts_namespace as far as the model fills it: its new_utsname, at init_uts_ns. */
export const UTS_NAMESPACE = defineStruct({
  name: 'uts_namespace',
  size: 6 * UTS_FIELD,
  order: 'native',
  spec: 'Linux include/linux/utsname.h (struct uts_namespace), include/uapi/linux/utsname.h (struct new_utsname)',
  c: { nested: { name: 'new_utsname' } },
  fields: [
    utsName('sysname', '"Linux"'),
    utsName('nodename', 'the host name'),
    utsName('release', 'the kernel release (uname -r)'),
    utsName('version', '"#1 SMP"'),
    utsName('machine', '"ppc64le" or "ppc64"'),
    utsName('domainname', '"(none)"'),
  ],
} as const);

/**
 * ASSUMPTION: a minimal struct task_struct, only so that the debugger has one (crash refuses a vmlinux
 * without it, even in --minimal mode). No task of the model's is in memory.
 */
export const TASK_STRUCT = defineStruct({
  name: 'task_struct',
  size: 32,
  order: 'native',
  spec: 'Linux include/linux/sched.h (a minimal subset)',
  fields: [
    { name: '__state', type: 'u32', doc: 'TASK_RUNNING 0, …', c: { type: 'unsigned int' } },
    { name: 'pid', type: 'i32', doc: 'the task id', c: { type: 'pid_t' } },
    { name: 'stack', type: 'u64', doc: 'the kernel stack', c: { type: 'void *' } },
    {
      name: 'comm',
      type: 'bytes',
      size: 16,
      doc: 'the executable name (TASK_COMM_LEN)',
      c: { type: 'char' },
    },
  ],
} as const);

export interface KernelImageOptions {
  order: ByteOrder;
  /** End of RAM in bytes (sizes mem_map). */
  memoryEnd: number;
  osrelease: string;
}

/** The banner start_kernel prints, and linux_banner holds with a newline (init/version-timestamp.c). */
export function linuxBanner(osrelease: string, order: ByteOrder): string {
  const arch = order === 'le' ? 'ppc64le' : 'ppc64';
  return `Linux version ${osrelease} (fadump-sim@${arch}) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP`;
}

/** linux_banner's bytes: the banner, a newline and the NUL. */
export function linuxBannerBytes(osrelease: string, order: ByteOrder): Uint8Array {
  return new TextEncoder().encode(`${linuxBanner(osrelease, order)}\n\0`);
}

/** Text made once per release and byte order, as whole pages that memory shares and never writes. */
const texts = new Map<string, Uint8Array[]>();

/** The text at _stext, page by page: identical for every boot of this vmlinux. */
export function textPages(osrelease: string, order: ByteOrder): Uint8Array[] {
  const key = `${osrelease}/${order}`;
  let pages = texts.get(key);
  if (!pages) {
    const text = makeText(osrelease, order);
    pages = Array.from({ length: TEXT_BYTES / PAGE_SIZE }, (_, i) =>
      text.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
    );
    texts.set(key, pages);
  }
  return pages;
}

/** The first immediate of the text: a number fixed by the release. */
export function textSeed(osrelease: string): number {
  let x = 0x9e3779b9;
  for (const c of osrelease) x = Math.imul(x ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return x & 0x7fff;
}

/**
 * ASSUMPTION: the text is one instruction repeated with a counting immediate, `li r3,n` (addi r3,0,n:
 * 0x38600000 | n) from n = textSeed(release), so that a disassembler shows what the model wrote.
 */
export function textWord(osrelease: string, index: number): number {
  return liWord(textSeed(osrelease), index);
}

const liWord = (seed: number, index: number) => (0x38600000 | ((seed + index) & 0x7fff)) >>> 0;

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function makeText(osrelease: string, order: ByteOrder): Uint8Array {
  const seed = textSeed(osrelease);
  const word = (i: number) => liWord(seed, i);
  const words = new Uint32Array(TEXT_BYTES / 4);
  // Host-order words where the host has the kernel's order (a typed array, fast); else a DataView.
  if (HOST_LE === (order === 'le')) for (let i = 0; i < words.length; i++) words[i] = word(i);
  else {
    const view = new DataView(words.buffer);
    for (let i = 0; i < words.length; i++) view.setUint32(4 * i, word(i), order === 'le');
  }
  return new Uint8Array(words.buffer);
}

/** Loads the image as a fresh boot does: text, data, an empty printk ring, the vmcoreinfo note. */
export function loadKernelImage(mem: PhysicalMemory, opts: KernelImageOptions): void {
  mem.writePages(SYMBOLS._stext, textPages(opts.osrelease, opts.order));
  mem.write(SYMBOLS.linux_banner, linuxBannerBytes(opts.osrelease, opts.order));
  const text = new TextEncoder();
  const field = (v: string) => {
    const b = new Uint8Array(UTS_FIELD);
    b.set(text.encode(v).subarray(0, UTS_FIELD - 1));
    return b;
  };
  mem.write(
    SYMBOLS.init_uts_ns,
    UTS_NAMESPACE.encode(
      {
        sysname: field('Linux'),
        nodename: field('fadump-sim'),
        release: field(opts.osrelease),
        version: field('#1 SMP'),
        machine: field(opts.order === 'le' ? 'ppc64le' : 'ppc64'),
        domainname: field('(none)'),
      },
      opts.order,
    ),
  );
  mem.writeU64(SYMBOLS.clear_seq, 0n, opts.order);
  new PrintkRing(mem, opts.order).init();
  writeVmcoreinfoNote(
    mem,
    opts.order,
    vmcoreinfoText({ order: opts.order, memoryEnd: opts.memoryEnd, osrelease: opts.osrelease }),
  );
}
