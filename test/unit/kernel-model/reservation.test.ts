// fadump's reservation in the first kernel (Linux fadump.c (fadump_calculate_reserve_size, fadump_reserve_mem)): size from 5% of RAM, the pSeries
// minimum, crashkernel= and fadump_reserve_mem=, boot-memory regions around holes, first-fit
// placement above boot memory, and the messages for each case.
import { describe, expect, it } from 'vitest';
import { GiB, MiB, pseries } from '../../support/partition.ts';

const boot = (cmdline: string, memory: number, lmbSize = 256 * MiB, holes: number[] = []) =>
  pseries({ memory, lmbSize, holes, seed: 3 }).boot(`root=/dev/sda2 ${cmdline}`);

describe('fadump reservation size', () => {
  it('defaults to the pSeries minimum of 320 MiB when 5% of RAM rounds down below it', () => {
    const { f, lines } = boot('fadump=on', 8 * GiB);
    expect(f.bootMemSize).toBe(320 * MiB);
    expect(f.reserveStart).toBe(320 * MiB);
    expect(lines).toContain('fadump: Reserved 320MB of memory at 0x00000014000000 (System RAM: 8192MB)');
    expect(lines).toContain('rtas fadump: Registration is successful!');
    expect(f.sysfsRead('registered')).toBe('1\n');
    expect(f.sysfsRead('hotplug_ready')).toBe('1\n');
  });

  it('takes 5% of RAM rounded down to a 256 MiB multiple on a large partition', () => {
    const { f, lines } = boot('fadump=on', 64 * GiB);
    expect(f.bootMemSize).toBe(3 * GiB);
    expect(lines).toContain('fadump: Reserved 3072MB of memory at 0x000000c0000000 (System RAM: 65536MB)');
  });

  it('uses crashkernel= capped at a quarter of RAM', () => {
    const { f, lines } = boot('fadump=on crashkernel=4G', 8 * GiB);
    expect(f.bootMemSize).toBe(2 * GiB);
    expect(lines).toContain('fadump: Adjusted boot memory size to 2048MB');
  });

  it('prefers crashkernel= over the deprecated fadump_reserve_mem=, with both messages', () => {
    const { f, lines } = boot('fadump=on fadump_reserve_mem=512M crashkernel=1G', 8 * GiB);
    expect(f.bootMemSize).toBe(GiB);
    expect(lines).toContain(
      "fadump: 'fadump_reserve_mem=' parameter is deprecated in favor of 'crashkernel=' parameter.",
    );
    expect(lines).toContain("fadump: Using 'crashkernel=' parameter for memory reservation.");
  });

  it('takes fadump_reserve_mem= alone without the 25% cap', () => {
    const { f } = boot('fadump=on fadump_reserve_mem=3G', 8 * GiB);
    expect(f.bootMemSize).toBe(3 * GiB);
  });

  it('refuses boot memory below the platform minimum', () => {
    const { f, lines } = boot('fadump=on crashkernel=256M', 8 * GiB);
    expect(lines).toContain(
      "fadump: Can't enable fadump with boot memory size (0x10000000) less than 0x14000000",
    );
    expect(f.sysfsRead('enabled')).toBe('0\n');
    expect(f.registered).toBe(false);
  });

  it('does nothing without fadump=on, and leaves CMA out with fadump=nocma', () => {
    const off = boot('', 8 * GiB);
    expect(off.f.reserveSize).toBe(0);
    expect(off.lines.some((l) => l.startsWith('fadump:'))).toBe(false);
    const nocma = boot('fadump=nocma', 8 * GiB);
    expect(nocma.f.registered).toBe(true);
    expect(nocma.lines.some((l) => l.includes('cma area'))).toBe(false);
  });
});

describe('fadump reservation placement and boot-memory regions', () => {
  it('splits boot memory around holes and moves boot_mem_top up by the hole size', () => {
    // 16 MiB LMBs; LMBs 16 and 19 unassigned: RAM is [0,256M) [272M,304M) [320M,...).
    const { f, lines } = boot('fadump=on', 2 * GiB, 16 * MiB, [16, 19]);
    expect(f.bootMemRegions).toEqual([
      { base: 0, size: 256 * MiB },
      { base: 272 * MiB, size: 32 * MiB },
      { base: 320 * MiB, size: 32 * MiB },
    ]);
    expect(f.bootMemTop).toBe(352 * MiB);
    expect(f.reserveStart).toBe(352 * MiB);
    expect(lines).toContain('rtas fadump: Registration is successful!');
  });

  it('places the reservation in the first free range that fits above boot memory', () => {
    // A hole right after boot memory (LMB 20 = [320M, 336M)) pushes the reservation past it.
    const { f } = boot('fadump=on', 2 * GiB, 16 * MiB, [20]);
    expect(f.bootMemTop).toBe(320 * MiB);
    expect(f.reserveStart).toBe(336 * MiB);
  });

  it('reports when no free range can hold the reserved area', () => {
    const { f, lines } = boot('fadump=on', 640 * MiB, 16 * MiB);
    expect(lines).toContain('fadump: Failed to find memory chunk for reservation!');
    expect(f.registered).toBe(false);
  });

  it('reports too many holes when boot memory would need more than 7 regions', () => {
    // 512 MiB of boot memory over 16 MiB islands needs 1 + 16 regions.
    const holes = Array.from({ length: 13 }, (_, i) => 16 + 2 * i);
    const { lines } = boot('fadump=on crashkernel=512M', 2 * GiB, 16 * MiB, holes);
    expect(lines).toContain('fadump: Too many holes in boot memory area to enable fadump');
  });
});

describe('registration through a busy PowerVM', () => {
  it('retries -2 and 990x answers, sleeping 1 ms or 10^x ms each time, then registers', () => {
    const bootWith = (busy: number[]) => {
      const { m, fw, kernel } = pseries({ seed: 3 });
      fw.kernelDump.busyQueue.push(...busy);
      const k = kernel();
      const calls: number[] = [];
      m.events.on((e) => {
        if (e.kind === 'call' && e.detail.name === 'ibm,configure-kernel-dump')
          calls.push(e.detail.status as number);
      });
      k.boot(fw.boot('fadump=on'));
      return { k, calls };
    };
    const busy = bootWith([-2, 9902, 9903]);
    const idle = bootWith([]);
    expect(busy.calls).toEqual([-2, 9902, 9903, 0]);
    expect(busy.k.fadump.registered).toBe(true);
    expect(busy.k.uptimeNs() - idle.k.uptimeNs()).toBe(1_101_000_000n);
  });
});

describe('sysfs', () => {
  it('memoryN/state onlines and offlines a block with a uevent, and refuses fadump memory', () => {
    const { k } = boot('fadump=on', 2 * GiB);
    expect(k.sysfsRead('/sys/devices/system/memory/memory7/state')).toBe('online\n');
    expect(k.sysfsWrite('/sys/devices/system/memory/memory7/state', 'offline')).toBe(0);
    expect(k.sysfsRead('/sys/devices/system/memory/memory7/state')).toBe('offline\n');
    expect(k.uevents.at(-1)).toMatchObject({ action: 'offline', block: 7 });
    // Block 1 is boot memory and block 2 holds the reserved area.
    expect(k.sysfsWrite('/sys/devices/system/memory/memory1/state', 'offline')).toBe(-16);
    expect(k.sysfsWrite('/sys/devices/system/memory/memory2/state', 'offline')).toBe(-16);
    expect(k.sysfsWrite('/sys/devices/system/memory/memory7/state', 'sideways')).toBe(-22);
    expect(k.sysfsWrite('/sys/devices/system/memory/memory99/state', 'online')).toBe(-2);
  });

  it('/sys/kernel/fadump files read as Linux prints them', () => {
    const { k, f } = boot('fadump=on', 2 * GiB);
    expect(k.sysfsRead('/sys/kernel/fadump/enabled')).toBe('1\n');
    expect(k.sysfsRead('/sys/kernel/fadump/registered')).toBe('1\n');
    expect(k.sysfsRead('/sys/kernel/fadump/mem_reserved')).toBe(`${f.reserveSize}\n`);
    expect(k.sysfsWrite('/sys/kernel/fadump/registered', '0')).toBe(0);
    expect(k.sysfsRead('/sys/kernel/fadump/registered')).toBe('0\n');
    expect(k.sysfsWrite('/sys/kernel/fadump/registered', '2')).toBe(-22);
    // release_mem exists only in a kernel that booted with a dump waiting.
    expect(k.sysfsWrite('/sys/kernel/fadump/release_mem', '1')).toBe(-2);
  });
});
