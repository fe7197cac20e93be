// The kernel image ("vmlinux") at its fixed low physical addresses: text, init_uts_ns, the printk
// ring and the vmcoreinfo note (memmap.ts writes the memory map at boot). Every boot loads it at the same place, so the
// capture kernel overwrites the crashed kernel's copy in boot memory.

import type { PhysicalMemory } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';
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

const TEXT_BYTES = 4 * PAGE_SIZE;
const UTS_FIELD = 65;

export interface KernelImageOptions {
  order: ByteOrder;
  /** End of RAM in bytes (sizes mem_map). */
  memoryEnd: number;
  osrelease: string;
  banner: string;
}

/** Text made once per release, as whole pages that memory shares and never writes. */
const texts = new Map<string, Uint8Array[]>();

/** "text": a pattern fixed by the release, identical for every boot of this vmlinux. */
function textPages(osrelease: string): Uint8Array[] {
  let pages = texts.get(osrelease);
  if (!pages) {
    const text = makeText(osrelease);
    pages = Array.from({ length: TEXT_BYTES / PAGE_SIZE }, (_, i) =>
      text.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
    );
    texts.set(osrelease, pages);
  }
  return pages;
}

function makeText(osrelease: string): Uint8Array {
  const out = new Uint8Array(TEXT_BYTES);
  let x = 0x9e3779b9;
  for (const c of osrelease) x = Math.imul(x ^ c.charCodeAt(0), 0x01000193) >>> 0;
  for (let i = 0; i < out.length; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
    out[i + 1] = x >>> 16;
    out[i + 2] = x >>> 8;
    out[i + 3] = x;
  }
  return out;
}

/** Loads the image as a fresh boot does: text, data, an empty printk ring, the vmcoreinfo note. */
export function loadKernelImage(mem: PhysicalMemory, opts: KernelImageOptions): void {
  mem.writePages(SYMBOLS._stext, textPages(opts.osrelease));
  const uts = new Uint8Array(6 * UTS_FIELD);
  const fields = [
    'Linux',
    'fadump-sim',
    opts.osrelease,
    '#1 SMP',
    opts.order === 'le' ? 'ppc64le' : 'ppc64',
    '(none)',
  ];
  fields.forEach((f, i) => uts.set(new TextEncoder().encode(f), i * UTS_FIELD));
  mem.write(SYMBOLS.init_uts_ns, uts);
  mem.writeU64(SYMBOLS.clear_seq, 0n, opts.order);
  new PrintkRing(mem, opts.order).init();
  writeVmcoreinfoNote(
    mem,
    opts.order,
    vmcoreinfoText({ order: opts.order, memoryEnd: opts.memoryEnd, osrelease: opts.osrelease }),
  );
}
