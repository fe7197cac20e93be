// crashkernel= as the kernel parses it for fadump (kernel/crash_reserve.c parse_crashkernel, with
// no ,high/,low wanted): the last crashkernel= without a suffix, in the simple form size[@offset] or
// the range form start-[end]:size[,start-[end]:size...][@offset], matched against system RAM rounded
// up to 128 MiB; the kernel's own warnings for what it rejects. memparse is lib/cmdline.c's.

import { memparse } from './format.ts';
import type { Kernel } from './kernel.ts';
import { Errno, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';

const SUFFIXES = [',high', ',low'];

/** What parse_crashkernel gives fadump: 0 and the size, or a negative errno (size then unused). */
export interface Crashkernel {
  rc: number;
  size: number;
  base: number;
}

/** get_last_crashkernel: the value of the last crashkernel= not ending in a suffix. */
function lastCrashkernel(cmdline: string): string | undefined {
  let found: string | undefined;
  for (const tok of cmdline.split(' ')) {
    if (!tok.startsWith('crashkernel=')) continue;
    const v = tok.slice('crashkernel='.length);
    if (!SUFFIXES.some((s) => v.endsWith(s))) found = v;
  }
  return found;
}

export function parseCrashkernel(k: Kernel, systemRam: number): Crashkernel {
  const out: Crashkernel = { rc: 0, size: 0, base: 0 };
  const value = lastCrashkernel(k.cmdline);
  if (value === undefined) return { ...out, rc: -Errno.ENOENT };
  const warn = (msg: string) => {
    k.printk(KERN_WARNING, '', msg);
    return { ...out, rc: -Errno.EINVAL };
  };
  if (value.includes(':')) {
    // parse_crashkernel_mem: the first range holding total_mem gives the size.
    const totalMem = Math.ceil(systemRam / (128 * 2 ** 20)) * 128 * 2 ** 20;
    let cur = 0;
    for (;;) {
      const start = memparse(value, cur);
      if (start.end === cur) return warn('crashkernel: Memory value expected');
      cur = start.end;
      if (value[cur] !== '-') return warn("crashkernel: '-' expected");
      cur++;
      let end = Number.POSITIVE_INFINITY;
      if (value[cur] !== ':') {
        const e = memparse(value, cur);
        if (e.end === cur) return warn('crashkernel: Memory value expected');
        cur = e.end;
        end = e.value;
        if (end <= start.value) return warn('crashkernel: end <= start');
      }
      if (value[cur] !== ':') return warn("crashkernel: ':' expected");
      cur++;
      const size = memparse(value, cur);
      if (size.end === cur) return warn('crashkernel: Memory value expected');
      cur = size.end;
      if (size.value >= totalMem) return warn('crashkernel: invalid size');
      if (totalMem >= start.value && totalMem < end) {
        out.size = size.value;
        break;
      }
      if (value[cur++] !== ',') break;
    }
    if (out.size > 0) {
      const at = value.indexOf('@', cur);
      if (at >= 0) {
        const base = memparse(value, at + 1);
        // The kernel's own spelling (fixed after 6.15).
        if (base.end === at + 1) return warn("crahskernel: Memory value expected after '@'");
        out.base = base.value;
      }
    } else k.printk(KERN_INFO, '', 'crashkernel size resulted in zero bytes');
  } else {
    // parse_crashkernel_simple.
    const size = memparse(value, 0);
    if (size.end === 0) return warn('crashkernel: memory value expected');
    out.size = size.value;
    const next = value[size.end];
    if (next === '@') out.base = memparse(value, size.end + 1).value;
    else if (next !== undefined) return warn(`crashkernel: unrecognized char: ${next}`);
  }
  if (!out.size) return { ...out, rc: -Errno.EINVAL };
  if (k.behaviour.crashkernelBelowRam && out.size >= systemRam) return { ...out, rc: -Errno.EINVAL };
  return out;
}
