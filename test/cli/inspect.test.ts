// fadump-sim inspect: vmcores and DTBs decoded; damaged files answered with one clear error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../cli/inspect.ts';
import { DumpFileError } from '../../dump/dump-reader.ts';
import { withDump } from '../../dump/formats.ts';
import { SeededRng } from '../../emulator/clock.ts';
import { DtbError, encodeDtb } from '../../emulator/dtb.ts';
import { POWERVM } from '../../firmware/rtas/personality.ts';
import { PseriesFirmware } from '../../firmware/rtas/pseries-firmware.ts';
import { DEFAULT_RUN, runScenario } from '../../scenarios/run.ts';
import { makeMachine, run } from '../support/partition.ts';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('fadump-sim inspect', () => {
  for (const endian of ['le', 'be'] as const) {
    it(`decodes a ${endian} vmcore: CPUs, crashing registers, VMCOREINFO, the crashed kernel's log`, async () => {
      const { dir, summary } = await run({ endian });
      const r = cli('inspect', join(dir, 'vmcore'));
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`${endian === 'le' ? 'little' : 'big'}-endian`);
      expect(r.stdout).toContain('CPUs (8):');
      expect(r.stdout).toContain(`nip ${summary.crash.nip} lr ${summary.crash.lr} r1 ${summary.crash.r1}`);
      expect(r.stdout).toContain('OSRELEASE=6.15.0-fadump-sim');
      for (const line of summary.cycles[0]!.console.crashed) expect(r.stdout).toContain(`  ${line}`);
      const json = JSON.parse(cli('inspect', join(dir, 'vmcore'), '--json').stdout);
      expect(json.cpus).toHaveLength(8);
      expect(json.dmesg).toEqual(summary.cycles[0]!.console.crashed);
    });
  }

  it('shows one page frame of a kdump file by physical address: held, left out, or not in the dump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-inspect-'));
    await runScenario({ ...DEFAULT_RUN, memory: 2 * 2 ** 30, dump: { format: 'kdump', level: 31 } }, dir);
    const file = join(dir, 'vmcore');
    const page = 0x10000;
    // What our reader says the file holds, to hold the CLI's answers against.
    const { held, leftOut, end } = withDump(file, 'kdump', (d) => {
      const c = d.contents;
      const end = Math.max(...c.loads.map((l) => l.paddr + l.size));
      const isOut = (a: number) => c.leftOut.some((r) => a >= r.base && a < r.base + r.size);
      let held = -1;
      for (let a = 0; held < 0 && a < end; a += page)
        if (!isOut(a) && d.read(a, page).data.some((b) => b !== 0)) held = a;
      return { held: { at: held, bytes: d.read(held, page).data }, leftOut: c.leftOut[0]!.base, end };
    });
    const show = (addr: string) => {
      const r = cli('inspect', file, '--page', addr, '--json');
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { paddr: string; pfn: number; state: string; bytes: string };
    };
    // An address inside the page names the whole page frame.
    const h = show(`0x${(held.at + 0x1234).toString(16)}`);
    expect(h).toMatchObject({ paddr: `0x${held.at.toString(16)}`, pfn: held.at / page, state: 'held' });
    expect(Buffer.from(h.bytes, 'hex').equals(Buffer.from(held.bytes))).toBe(true);
    // The unfiltered ELF core of the same run holds the same bytes there.
    await runScenario({ ...DEFAULT_RUN, memory: 2 * 2 ** 30 }, join(dir, 'elf'));
    const e = cli('inspect', join(dir, 'elf', 'vmcore'), '--page', h.paddr, '--json');
    expect(JSON.parse(e.stdout)).toEqual(h);
    expect(show(String(leftOut)).state).toBe('left out by dump level 31: the file does not hold it');
    expect(show(`0x${end.toString(16)}`).state).toMatch(/^not in the dump/);
    // The text view: a heading, then lines of 16 bytes, identical runs folded into one `*`.
    const text = cli('inspect', file, '--page', `0x${held.at.toString(16)}`).stdout.split('\n');
    expect(text[0]).toBe(
      `page frame 0x${(held.at / page).toString(16)} at 0x${held.at.toString(16)} (64 KiB): held`,
    );
    expect(text[1]).toMatch(/^[0-9a-f]{16} {2}([0-9a-f]{2} ){16} \|.{16}\|$/);
    // --dmesg: the log alone, as the run's vmcore-dmesg.txt (and vmcore-dmesg) has it.
    const log = cli('inspect', file, '--dmesg');
    expect(log.status).toBe(0);
    expect(log.stdout).toBe(readFileSync(join(dir, 'vmcore-dmesg.txt'), 'utf8'));
    for (const bad of ['zz', '-1', '0x', '1e9']) {
      const r = cli('inspect', file, '--page', bad);
      expect(r.status, bad).toBe(2);
      expect(r.stderr.trim()).toBe(
        `fadump-sim: error: --page ${bad}: expected a physical address, hex (0x10000000) or decimal`,
      );
    }
  });

  it('prints a device tree blob', () => {
    const m = makeMachine({ memory: 2 * 2 ** 30 });
    const file = join(mkdtempSync(join(tmpdir(), 'fadump-inspect-')), 'pseries.dtb');
    writeFileSync(file, encodeDtb(new PseriesFirmware(m, POWERVM).buildTree('fadump=on')));
    const r = cli('inspect', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ibm,configure-kernel-dump = <0x202d>;');
    expect(r.stdout).toContain('bootargs = "fadump=on";');
  });

  it('answers missing, empty, foreign and truncated files with exit 2 and one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-inspect-'));
    await runScenario({ ...DEFAULT_RUN, memory: 2 * 2 ** 30 }, join(dir, 'run'));
    const core = readFileSync(join(dir, 'run', 'vmcore'));
    const cases: [string, Uint8Array | null, RegExp][] = [
      ['missing', null, /no such file/],
      ['empty', new Uint8Array(0), /the ELF header lies beyond the end of the file/],
      ['text', new TextEncoder().encode('hello world, not a core'), /not an ELF file/],
      ['truncated', core.subarray(0, 100), /program header 0 lies beyond the end of the file/],
      ['headers only', core.subarray(0, 0x10100), /a note segment lies beyond the end of the file/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, name);
      if (bytes) writeFileSync(file, bytes);
      const r = cli('inspect', file);
      expect(r.status, name).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('never fails with anything but its own errors on damaged cores and blobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-inspect-'));
    await runScenario({ ...DEFAULT_RUN, memory: 2 * 2 ** 30 }, join(dir, 'run'));
    const core = new Uint8Array(readFileSync(join(dir, 'run', 'vmcore')).subarray(0, 0x12000));
    const rng = new SeededRng(12);
    for (let i = 0; i < 300; i++) {
      const b = core.slice();
      for (let j = 0; j < rng.int(1, 6); j++) b[rng.int(0, 0x17ff)] = rng.int(0, 255);
      const file = join(dir, `m${i}`);
      writeFileSync(file, b.subarray(0, rng.int(0, b.length)));
      try {
        inspect(file, true);
      } catch (e) {
        if (!(e instanceof DumpFileError || e instanceof DtbError)) throw e;
      }
    }
  });
});

describe('fadump-sim explain', () => {
  it('narrates the default scenario: calls with arguments and status, annotated structures, outcome', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-explain-')), 'out');
    const r = cli('explain', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('RTAS ibm,configure-kernel-dump(0x1, 0x8102000, 0xc8) -> 0');
    expect(r.stdout).toContain('the partition resets, keeping memory');
    expect(r.stdout).toMatch(/crashing_cpu\s+0x00000003/);
    expect(r.stdout).toMatch(/source_data_type\s+0x0011/);
    expect(r.stdout).toMatch(/reg_id\s+0x4350555354525400/);
    expect(r.stdout).toContain('dump captured');
  });

  it('narrates PowerNV through OPAL, and rejects an unknown scenario with exit 2', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-explain-')), 'out');
    const r = cli('explain', 'powernv-mpipl', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('OPAL OPAL_CEC_REBOOT2(0x3');
    expect(r.stdout).toContain('SBE/hostboot preserve 2 ranges');
    const bad = cli('explain', 'no-such-scenario');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no-such-scenario: no such file and no built-in scenario of that name/);
  });
});
