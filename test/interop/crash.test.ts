// The vmlinux written beside every dump, opened with the dump by the real crash (Debian's ppc64el
// crash 8.0.2 under qemu-user, --minimal mode: little-endian dumps only) and gdb-multiarch; and the
// vmlinux itself read by readelf, eu-readelf and gdb, whose view of every structure must be the
// field table's.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cDeclaration } from '../../dump/dwarf.ts';
import { VMLINUX_STRUCTS, writeVmlinux } from '../../dump/vmlinux-writer.ts';
import { COUNT_BITS } from '../../kernel-model/printk-ring.ts';
import { OSRELEASE, SYMBOLS, va } from '../../kernel-model/symbols.ts';
import { textWord } from '../../kernel-model/vmlinux.ts';
import type { RunOptions, RunResult } from '../../scenarios/run.ts';
import { run as runIn } from '../support/partition.ts';
import { crashMinimal, tools } from '../support/tools.ts';

const hex = (v: bigint | number) => v.toString(16);

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 2 ** 26 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

// After memory events: DLPAR on pSeries, offlining on PowerNV (which has no DLPAR).
const PSERIES: Partial<RunOptions> = { hotplug: { add: 2, remove: 1 } };
const POWERNV: Partial<RunOptions> = { platform: 'powernv', hotplug: { offline: 1 } };
const KDUMP: Partial<RunOptions> = { dump: { format: 'kdump', level: 31 } };
const CAPTURES: [string, Partial<RunOptions>][] = [
  ['pSeries, ELF', PSERIES],
  ['PowerNV, ELF', POWERNV],
  ['pSeries, kdump-compressed at level 31', { ...PSERIES, ...KDUMP }],
  ['PowerNV, kdump-compressed at level 31', { ...POWERNV, ...KDUMP }],
];

describe.runIf(tools.crash())('crash --minimal opens our little-endian dumps with our vmlinux', () => {
  for (const [what, o] of CAPTURES) {
    describe(what, () => {
      let c: RunResult & { dir: string };
      beforeAll(async () => {
        c = await runIn(o);
      });

      it("log prints the first kernel's log, byte for byte as vmcore-dmesg", () => {
        expect(c.summary.dump.vmlinux).toBe('vmlinux');
        const log = crashMinimal(join(c.dir, 'vmlinux'), join(c.dir, 'vmcore'), ['log']);
        const ours = readFileSync(join(c.dir, 'vmcore-dmesg.txt'), 'utf8');
        expect(log).toBe(ours);
        expect(log).toContain('Kernel panic - not syncing');
        // vmcore-dmesg reads ELF cores only.
        if (!o.dump && tools.vmcoreDmesg()) {
          const real = run(tools.vmcoreDmesg()!, [join(c.dir, 'vmcore')]);
          expect(real.code).toBe(0);
          expect(log).toBe(real.stdout);
        }
      });

      it('sym, rd -p and dis give the addresses and bytes the model wrote', () => {
        const out = crashMinimal(join(c.dir, 'vmlinux'), join(c.dir, 'vmcore'), [
          'sym prb',
          `rd -p ${hex(SYMBOLS.prb)}`,
          'rd -32 _stext 2',
          'dis _stext 3',
        ]);
        // prb is a pointer to the static ring, printk_rb_static.
        expect(out).toContain(`${hex(va(SYMBOLS.prb))} (B) prb`);
        expect(out).toMatch(new RegExp(`${hex(SYMBOLS.prb)}:\\s+${hex(va(SYMBOLS.printk_rb_static))}\\b`));
        const words = [0, 1].map((i) => textWord(OSRELEASE, i).toString(16).padStart(8, '0'));
        expect(out).toMatch(new RegExp(`${hex(va(0))}:\\s+${words[0]} ${words[1]}`));
        for (let i = 0; i < 3; i++) {
          const at = hex(va(4 * i));
          const label = i === 0 ? '<_stext>' : `<_stext\\+${4 * i}>`;
          expect(out).toMatch(
            new RegExp(`0x${at} ${label}:\\s+li\\s+r3,${textWord(OSRELEASE, i) & 0x7fff}\\n`),
          );
        }
      });
    });
  }
});

describe.runIf(tools.gdb())('gdb-multiarch reads the printk ring through the vmlinux', () => {
  for (const endian of ['le', 'be'] as const) {
    it(`${endian}: p prb->desc_ring.count_bits, the release and the banner`, async () => {
      const c = await runIn({ endian });
      const r = run(tools.gdb()!, [
        '-nx',
        '-batch',
        '-ex',
        'p prb->desc_ring.count_bits',
        '-ex',
        'p init_uts_ns.name.release',
        '-ex',
        'p linux_banner',
        '-ex',
        'p prb->desc_ring.head_id.counter > 0',
        join(c.dir, 'vmlinux'),
        join(c.dir, 'vmcore'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`$1 = ${COUNT_BITS}\n`);
      expect(r.stdout).toContain(`$2 = "${OSRELEASE}", '\\000' <repeats`);
      expect(r.stdout).toMatch(
        new RegExp(`\\$3 = "Linux version ${OSRELEASE.replaceAll('.', '\\.')} .*\\\\n"`),
      );
      expect(r.stdout).toContain('$4 = 1\n');
    });
  }
});

describe('the vmlinux itself', () => {
  let dir: string;
  beforeAll(async () => {
    dir = (await runIn({})).dir;
    writeFileSync(join(dir, 'vmlinux-be'), writeVmlinux({ order: 'be', osrelease: OSRELEASE }));
  });

  it.runIf(tools.readelf() && tools.euReadelf())(
    'readelf -a and eu-readelf -a read it without a warning, LE and BE',
    () => {
      for (const file of ['vmlinux', 'vmlinux-be']) {
        for (const reader of [tools.readelf()!, tools.euReadelf()!]) {
          const r = run(reader, ['-a', join(dir, file)]);
          expect(r.code, `${reader} ${file}: ${r.stderr}`).toBe(0);
          expect(r.stderr, `${reader} -a ${file}`).toBe('');
          expect(r.stdout).toMatch(/EXEC/);
          expect(r.stdout).toContain('_stext');
          expect(r.stdout).toContain('.debug_info');
        }
      }
      const info = run(tools.readelf()!, ['--debug-dump=info', join(dir, 'vmlinux')]);
      expect(info.stderr).toBe('');
      expect(info.stdout).toContain('DW_TAG_structure_type');
      expect(info.stdout).toMatch(/DW_AT_name\s+:.*printk_ringbuffer/);
    },
  );

  it.runIf(tools.gdb())(
    "gdb's sizeof and offsetof of every described structure are its field table's",
    () => {
      for (const file of ['vmlinux', 'vmlinux-be']) {
        const asks: [string, number][] = [];
        const bitLines: [string, RegExp][] = [];
        for (const s of VMLINUX_STRUCTS) {
          asks.push([`sizeof(struct ${s.name})`, s.size]);
          s.fields.forEach((f, i) => {
            if (!cDeclaration(f)) return;
            const l = s.layout[i]!;
            const path = `${f.c?.in ? `${f.c.in}.` : ''}${f.c?.name ?? f.name}`;
            if (f.c?.bits) {
              let bit = 0;
              for (const b of f.c.bits) {
                bitLines.push([
                  `struct ${s.name}`,
                  new RegExp(
                    `/\\*\\s+${l.offset}:\\s*${bit}\\s+\\|\\s+${l.size} \\*/\\s+\\S+ ${b.name} : ${b.width};`,
                  ),
                ]);
                bit += b.width;
              }
              return;
            }
            asks.push([`(long)&((struct ${s.name} *)0)->${path}`, l.offset]);
            asks.push([`sizeof(((struct ${s.name} *)0)->${path})`, l.size]);
          });
        }
        const r = run(tools.gdb()!, [
          '-nx',
          '-batch',
          ...asks.flatMap(([e]) => ['-ex', `p/d ${e}`]),
          ...[...new Set(bitLines.map(([t]) => t))].flatMap((t) => ['-ex', `ptype/o ${t}`]),
          join(dir, file),
        ]);
        expect(r.stderr, file).toBe('');
        const values = [...r.stdout.matchAll(/^\$(\d+) = (-?\d+)$/gm)].map((m) => Number(m[2]));
        expect(values.length, file).toBe(asks.length);
        asks.forEach(([e, want], i) => expect(`${e} = ${values[i]}`).toBe(`${e} = ${want}`));
        for (const [, line] of bitLines) expect(r.stdout).toMatch(line);
      }
    },
  );
});
