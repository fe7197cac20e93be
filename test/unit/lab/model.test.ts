// The lab's model side, in Node: the editor's text checked as `run` checks a file (the first
// problem at its line and column), runs too big for a page refused before they start, and a run in
// memory giving the files `fadump-sim run` writes, byte for byte.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryFile } from '../../../dump/dump-file.ts';
import { openElfDump } from '../../../dump/elf-reader.ts';
import {
  checkScenario,
  DOWNLOAD_LIMIT,
  LAB_FILE,
  type LabFile,
  runInPage,
  sizeText,
  tooBigForPage,
} from '../../../lab/model.ts';
import { runScenario } from '../../../scenarios/run.ts';
import { parseScenario, toBuilder } from '../../../scenarios/scenario-file.ts';
import { REPO } from '../../support/tools.ts';

const bytesOf = (f: LabFile) => Buffer.concat(f.pieces());

const SMALL = `description: a small one
machine: { memory: 1G, cpus: 2 }
dump: { format: kdump, level: 31 }
steps:
  - boot
  - hotAdd: 1
  - crash: { cpu: 1 }
expect:
  dump: captured
`;

describe('the lab model', () => {
  it('checks the text as run checks a file: the first problem with its line and column', () => {
    const ok = checkScenario(SMALL);
    expect(ok.ok).toBe(true);
    // A misspelt key on line 2, column 24.
    const bad = checkScenario(SMALL.replace('cpus: 2', 'cpu: 2'));
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problem.line).toBe(2);
    expect(bad.problem.col).toBe(24);
    expect(bad.problem.text).toMatch(new RegExp(`^${LAB_FILE}:2:24: `));
    expect(bad.problem.message).toMatch(/cpu/);
    // Broken YAML: where the parser stopped.
    const broken = checkScenario('steps:\n  - boot\n  - crash: { cpu: 1\n');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.problem.line).toBeGreaterThanOrEqual(3);
    // A run-time check (the crash CPU does not exist), at the crash step's key.
    const cpu = checkScenario(SMALL.replace('cpu: 1 }', 'cpu: 7 }'));
    expect(cpu.ok).toBe(false);
    if (!cpu.ok) {
      expect(cpu.problem.line).toBe(7);
      expect(cpu.problem.message).toMatch(/CPUs 0-1/);
    }
  });

  it('says a run is too big for a page before it starts: the 64 TiB, 2,048-thread shape', async () => {
    const text =
      'description: big\nmachine: { memory: 64T, lmbSize: 256M, cpus: 2048 }\nsteps:\n  - boot\n  - crash: {}\n';
    const big = checkScenario(text);
    expect(big.ok).toBe(false);
    if (big.ok) return;
    expect(big.problem.text).toMatch(
      /^scenario\.yaml:2:1: too big for a page: 262,144 LMB slots \(a page runs up to 16,384\) and 2,048 threads \(a page runs up to 256\); run it with the command line/,
    );
    // Run regardless, it is refused before the machine is built.
    const options = toBuilder(parseScenario(text, 'x')).toOptions();
    expect(tooBigForPage(options)).toBe(big.problem.message);
    const scenario = parseScenario(text, 'x');
    await expect(runInPage({ ok: true, scenario, options })).rejects.toThrow(big.problem.message);
    const fits = checkScenario(SMALL);
    expect(fits.ok && tooBigForPage(fits.options)).toBe(undefined);
  });

  it('runs in memory and offers the files run writes, the same bytes', async () => {
    const check = checkScenario(SMALL);
    if (!check.ok) throw new Error(check.problem.text);
    const r = await runInPage(check, 'small');
    expect(r.summary.dump.status).toBe('captured');
    expect(r.failed).toEqual([]);
    expect(r.files.map((f) => f.name)).toEqual(['summary.json', 'vmcore', 'vmcore-dmesg.txt', 'vmlinux']);
    expect(r.report).toMatch(/^<!doctype html>/i);
    expect(r.report).toContain('<title>small');

    const dir = mkdtempSync(join(tmpdir(), 'fadump-lab-'));
    const disk = await runScenario(
      { ...toBuilder(parseScenario(SMALL, 'x')).toOptions(), title: 'small' },
      dir,
    );
    expect(disk.summary.dump.status).toBe('captured');
    const file = (name: string) => r.files.find((f) => f.name === name)!;
    for (const name of ['vmcore', 'vmcore-dmesg.txt', 'vmlinux'])
      expect(bytesOf(file(name)).equals(readFileSync(join(dir, name))), name).toBe(true);
    // summary.json as run writes it, but for the outputs (in memory, the dumps alone are made).
    const summary = JSON.parse(bytesOf(file('summary.json')).toString());
    expect({ ...summary, outputs: [] }).toEqual({
      ...JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')),
      outputs: [],
    });
    expect(file('vmcore').size).toBeLessThanOrEqual(DOWNLOAD_LIMIT);
  });

  it('saves a vmcore too large to download filtered, as makedumpfile -E -d 31: an ELF of the kept pages', async () => {
    const text = readFileSync(join(REPO, 'scenarios', 'library', 'default.yaml'), 'utf8');
    const check = checkScenario(text);
    if (!check.ok) throw new Error(check.problem.text);
    const r = await runInPage(check, 'default');
    const vmcore = r.files.find((f) => f.name === 'vmcore')!;
    expect(vmcore.size).toBeGreaterThan(DOWNLOAD_LIMIT);
    const small = await r.filtered('vmcore');
    expect(small.name).toBe('vmcore-d31');
    expect(small.size).toBeLessThan(DOWNLOAD_LIMIT / 8);
    const f = new MemoryFile(small.name);
    f.write(small.pieces(), 0);
    const elf = openElfDump(f);
    expect(elf.contents.loads.length).toBeGreaterThan(2);
    expect(elf.contents.dmesg.join('\n')).toBe(
      bytesOf(r.files.find((x) => x.name === 'vmcore-dmesg.txt')!)
        .toString()
        .trimEnd(),
    );
    await expect(r.filtered('vmcore.9')).rejects.toThrow('vmcore.9: no such vmcore in this run');
  });

  it('sizes in words', () => {
    expect([0, 687, 25_199, 2_233_040, 8_254_455_808].map(sizeText)).toEqual([
      '0 B',
      '687 B',
      '24.6 KiB',
      '2.13 MiB',
      '7.69 GiB',
    ]);
  });
});
