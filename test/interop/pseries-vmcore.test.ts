// The vmcores fadump-sim writes, opened by the real tools (the dump tools): readelf, eu-readelf,
// gdb-multiarch, vmcore-dmesg and the ppc64el makedumpfile. One capture per byte order and
// firmware personality; a --note-pids capture for gdb; a second crash cycle.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDump } from '../../dump/formats.ts';
import type { RunOptions, RunResult } from '../../scenarios/run.ts';
import { compareMemory } from '../../scenarios/verify.ts';
import { run as runIn } from '../support/partition.ts';
import { makedumpfile, REPO, tools, withoutCaller } from '../support/tools.ts';
import { EXACT } from '../support/verify.ts';

const MiB = 2 ** 20;

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * MiB });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

async function capture(o: Partial<RunOptions>): Promise<RunResult & { dir: string; vmcore: string }> {
  const result = await runIn(o);
  return { ...result, vmcore: join(result.dir, 'vmcore') };
}

/** eu-readelf -n: the PRSTATUS blocks, each with its named register values. */
function prstatusBlocks(text: string): Map<string, string>[] {
  return text
    .split(/\n\s*CORE\s+504\s+PRSTATUS\n/)
    .slice(1)
    .map((block) => {
      const regs = new Map<string, string>();
      for (const m of block
        .split(/\n\s*\S+\s+\d+\s+\S+\n/)[0]!
        .matchAll(/([a-z][a-z0-9_]*):\s+(-?(?:0x)?[0-9a-f]+)/g)) {
        regs.set(m[1]!, m[2]!);
      }
      return regs;
    });
}

const asSigned = (hex: string) => BigInt.asIntN(64, BigInt(hex)).toString();
const asHexOrSigned = (v: string | undefined) =>
  v === undefined ? undefined : v.startsWith('0x') ? BigInt(v) : BigInt.asUintN(64, BigInt(v));

const AFTER_HOTPLUG: Partial<RunOptions> = { hotplug: { add: 3, remove: 1, offline: 1 } };

const CAPTURES: ['le' | 'be', 'powervm' | 'qemu', 'legacy' | 'resilient', Partial<RunOptions>][] = [
  ['le', 'powervm', 'resilient', {}],
  ['le', 'qemu', 'resilient', {}],
  ['be', 'powervm', 'resilient', {}],
  ['be', 'qemu', 'resilient', {}],
  ['le', 'powervm', 'legacy', {}],
  ['be', 'powervm', 'legacy', {}],
  ['le', 'powervm', 'resilient', AFTER_HOTPLUG],
  ['be', 'powervm', 'legacy', AFTER_HOTPLUG],
  ['le', 'powervm', 'resilient', { platform: 'powernv' }],
  ['le', 'powervm', 'legacy', { platform: 'powernv' }],
  ['be', 'powervm', 'resilient', { platform: 'powernv', memory: 4 * 2 ** 30, hotplug: { offline: 2 } }],
];

for (const [endian, firmware, kernel, extra] of CAPTURES) {
  const after = extra.hotplug ? ', after memory events' : '';
  const fwName = extra.platform === 'powernv' ? 'PowerNV skiboot' : `${firmware} firmware`;
  describe(`${endian} vmcore, ${fwName}, ${kernel} kernels${after}`, () => {
    let c: Awaited<ReturnType<typeof capture>>;
    beforeAll(async () => {
      c = await capture({ endian, firmware, kernel, ...extra });
    });

    it('is captured and every PT_LOAD byte equals crash-time memory', () => {
      expect(c.summary.dump.status).toBe('captured');
      expect(c.summary.verify).toEqual(EXACT);
      if (extra.hotplug) {
        const expected = extra.hotplug.add ? { added: 3, removed: 1, offlined: 1 } : { offlined: 2 };
        expect(c.summary.cycles[0]!.hotplug).toMatchObject(expected);
      }
      expect(c.summary.dump.loads.length).toBeGreaterThan(1);
    });

    if (extra.platform === 'powernv') {
      it('writes an OPAL core that readelf and eu-readelf read, holding OPAL memory as at the crash', async () => {
        const oc = c.opalcores[0]!;
        expect(c.summary.dump.opalcore).toBe('opalcore');
        expect(withDump(oc.path, oc.format, (r) => compareMemory(r, c.snapshots[0]!))).toBe(0);
        for (const [tool, args] of [
          [tools.readelf(), ['-a', '-W']],
          [tools.euReadelf(), ['-a']],
        ] as const) {
          if (!tool) continue;
          const r = run(tool, [...args, oc.path]);
          expect(r.code).toBe(0);
          expect(r.stderr).toBe('');
        }
        if (tools.euReadelf())
          expect(run(tools.euReadelf()!, ['-n', oc.path]).stdout.match(/PRSTATUS/g)?.length).toBe(8);
      });
    }

    it.runIf(tools.readelf())('readelf -a reads it with no warnings', () => {
      const r = run(tools.readelf()!, ['-a', '-W', c.vmcore]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/Type:\s+CORE \(Core file\)/);
      expect(r.stdout).toMatch(/Machine:\s+PowerPC64/);
      expect(r.stdout).toContain(endian === 'le' ? 'little endian' : 'big endian');
      expect(r.stdout.match(/NT_PRSTATUS/g)?.length).toBe(8);
    });

    it.runIf(tools.euReadelf())(
      'eu-readelf shows one PRSTATUS per CPU with the crashing CPU registers',
      () => {
        const all = run(tools.euReadelf()!, ['-a', c.vmcore]);
        expect(all.code).toBe(0);
        expect(all.stderr).toBe('');
        const r = run(tools.euReadelf()!, ['-n', c.vmcore]);
        const blocks = prstatusBlocks(r.stdout);
        expect(blocks.length).toBe(8);
        // Notes come in CPU order (PIR order on PowerNV): the crashing CPU's holds its registers.
        const crashing = blocks[c.summary.crash.cpu]!;
        expect(asHexOrSigned(crashing.get('nip'))).toBe(BigInt(c.summary.crash.nip));
        expect(asHexOrSigned(crashing.get('lr'))).toBe(BigInt(c.summary.crash.lr));
        expect(crashing.get('r1')).toBe(asSigned(c.summary.crash.r1));
        expect(r.stdout).toContain(`OSRELEASE=${kernel === 'legacy' ? '6.9.0' : '6.15.0'}-fadump-sim`);
        // staleCtrLrXerCfar: QEMU saves CTR and LR of the other CPUs as 0; PowerVM and skiboot save them.
        const other = blocks[0]!;
        const zero = firmware === 'qemu' && extra.platform !== 'powernv';
        expect(asHexOrSigned(other.get('ctr')) === 0n).toBe(zero);
        expect(asHexOrSigned(other.get('lr')) === 0n).toBe(zero);
      },
    );

    it.runIf(tools.vmcoreDmesg())(
      "vmcore-dmesg prints the crashed kernel's log, not the capture kernel's",
      () => {
        const r = run('timeout', ['20', tools.vmcoreDmesg()!, c.vmcore]);
        expect(r.code).toBe(0);
        const crashed = c.summary.cycles[0]!.console.crashed;
        expect(r.stdout.trimEnd().split('\n')).toEqual(crashed);
        // The run's own vmcore-dmesg.txt, read from the dump, is what vmcore-dmesg prints.
        expect(readFileSync(join(c.dir, 'vmcore-dmesg.txt'), 'utf8')).toBe(r.stdout);
        // And `inspect --dmesg`, byte for byte.
        const ours = spawnSync(process.execPath, [
          join(REPO, 'dist', 'cli.mjs'),
          'inspect',
          c.vmcore,
          '--dmesg',
        ]);
        expect(ours.status).toBe(0);
        expect(ours.stdout.toString('utf8')).toBe(r.stdout);
        expect(r.stdout).toContain('Kernel panic - not syncing: sysrq triggered crash');
        expect(r.stdout).not.toContain('Firmware-assisted dump is active');
      },
    );

    if (endian === 'le') {
      it.runIf(tools.makedumpfile() && tools.makedumpfileTrixie())(
        'makedumpfile 1.7.6 reads it (--dump-dmesg, -d 1 -l); 1.7.2 reads the log but fails on the vmemmap of a 6.9+ kernel',
        () => {
          const txt = join(c.dir, 'dmesg.txt');
          const dmesg = run('timeout', ['20', tools.vmcoreDmesg() ?? 'vmcore-dmesg', c.vmcore]).stdout;
          for (const suite of ['bookworm', 'trixie'] as const) {
            rmSync(txt, { force: true });
            const r = makedumpfile(suite, ['--dump-dmesg', c.vmcore, txt]);
            expect(r.code, r.out).toBe(0);
            expect(withoutCaller(readFileSync(txt, 'utf8'))).toBe(dmesg);
          }
          const kdump = join(c.dir, 'dump.kdump');
          const l = makedumpfile('trixie', ['-d', '1', '-l', c.vmcore, kdump]);
          expect(l.code, l.out).toBe(0);
          expect(readFileSync(kdump).subarray(0, 8).toString('latin1')).toBe('KDUMP   ');
          const back = join(c.dir, 'dmesg2.txt');
          expect(makedumpfile('trixie', ['--dump-dmesg', kdump, back]).code).toBe(0);
          expect(withoutCaller(readFileSync(back, 'utf8'))).toBe(dmesg);
          // Bookworm's 1.7.2 predates NUMBER(VMALLOC_START) (makedumpfile 94241fd, 1.7.5): without the
          // vmap_area_list Linux 6.9 removed it takes 0xc00c… for a linear address, as kdump-utils
          // issue 15 reports ("kdump fails to write dump on ppc64le since linux 6.9").
          const old = makedumpfile('bookworm', ['-d', '1', '-l', c.vmcore, `${kdump}.old`]);
          expect(old.code).not.toBe(0);
          expect(old.out).toContain('readpage_elf: Attempt to read non-existent page at 0xc000000000000.');
          expect(old.out).toContain("__exclude_unnecessary_pages: Can't read the buffer of struct page.");
        },
      );
    }
  });
}

for (const endian of ['le', 'be'] as const) {
  describe(`${endian} vmcore with --note-pids`, () => {
    it.runIf(tools.gdb())('gdb lists one thread per CPU and the crashing CPU is current', async () => {
      const c = await capture({ endian, notePids: true, crashCpu: 5 });
      expect(c.summary.verify.mismatchedBytes).toBe(0);
      const r = run(tools.gdb()!, [
        '-nx',
        '-batch',
        '-ex',
        `core-file ${c.vmcore}`,
        '-ex',
        'info threads',
        '-ex',
        'info registers pc',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout.match(/LWP \d+/g)?.length).toBeGreaterThanOrEqual(8);
      for (let cpu = 0; cpu < 8; cpu++) expect(r.stdout).toContain(`LWP ${cpu + 1}`);
      expect(r.stdout).toMatch(/Current thread is 1 \(LWP 6\)|\* 1\s+LWP 6/);
      expect(r.stdout).toMatch(new RegExp(`pc\\s+${c.summary.crash.nip}`));
    });
  });
}

describe('a second crash cycle after release', () => {
  it('re-registers, crashes again and captures a correct vmcore', async () => {
    const c = await capture({ cycles: 2, crashCpu: 1 });
    const [one, two] = c.summary.cycles;
    expect(one!.dump.status).toBe('captured');
    expect(two!.dump.status).toBe('captured');
    expect(two!.verify.mismatchedBytes).toBe(0);
    expect(two!.console.crashed).toContain(
      two!.console.crashed.find((l) => l.includes('rtas fadump: Registration is successful!')),
    );
    // The kernel that crashed the second time is the first capture kernel: its log is in vmcore.2.
    expect(two!.console.crashed.some((l) => l.includes('Firmware-assisted dump is active'))).toBe(true);
  });
});
