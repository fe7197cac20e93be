// Every outcome says why (issue 12): a dump that lacks memory is never called verified, a dump not
// taken says why in the kernel's words, a request that cannot happen is an error at its option or
// file position (exit 2, nothing written) or, where the kernel only logs it, a warning — on the
// terminal, in summary.json and in the report alike.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as arb from '../../testing/arbitraries.ts';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fresh = () => join(mkdtempSync(join(tmpdir(), 'fadump-outcome-')), 'out');
const summaryOf = (out: string) => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
const report = (out: string) => readFileSync(join(out, 'report.html'), 'utf8');

describe('a dump that lacks memory', () => {
  it('a legacy kernel without udev after hot-add: INCOMPLETE with the bytes missing, exit 1, never "exact"', () => {
    const out = fresh();
    const r = cli('run', '--out', out, '--memory', '2G', '--no-udev', '--kernel', 'legacy', '--hot-add', '2');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^verify: INCOMPLETE: 536870912 bytes \(512 MiB\) of the memory assigned at the crash is not in the dump$/m,
    );
    expect(r.stdout).not.toMatch(/exact|0 mismatched/);
    expect(summaryOf(out).verify.missingBytes).toBe(536870912);
    expect(report(out)).toContain('The dump was captured but is not right: INCOMPLETE: 536870912 bytes');
  });

  it('the built-in legacy-stale-elfcorehdr says so too, while its expectations (which want it) hold', () => {
    const out = fresh();
    const r = cli('run', 'legacy-stale-elfcorehdr', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^legacy-stale-elfcorehdr: captured ok/m);
    expect(r.stdout).toMatch(/^ {2}verify: INCOMPLETE: 536870912 bytes \(512 MiB\)/m);
  });

  it('an exact dump says what it holds, exit 0', () => {
    const out = fresh();
    const r = cli('run', '--out', out, '--memory', '2G');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^verify: exact: \d+ bytes \([\d.]+ GiB\) of memory, 8 CPU notes and VMCOREINFO as they were at the crash$/m,
    );
  });
});

describe('a dump not taken says why', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'no fadump=on',
      ['--cmdline', 'root=/dev/sda2'],
      /fadump=on is not on the kernel command line \(root=\/dev\/sda2\): nothing was reserved for a dump/,
    ],
    [
      'PowerNV with 16 TiB: too many holes',
      ['--platform', 'powernv', '--memory', '16T'],
      /fadump: Too many holes in boot memory area to enable fadump/,
    ],
  ];
  for (const [what, args, reason] of cases) {
    it(`${what}: on the terminal, in summary.json and in the report, exit 1`, () => {
      const out = fresh();
      const r = cli('run', '--out', out, ...args);
      expect(r.code).toBe(1);
      const line = r.stdout.split('\n')[0]!;
      expect(line).toMatch(/^dump: not taken: /);
      expect(line).toMatch(reason);
      const s = summaryOf(out);
      expect(s.dump.status).toBe('not-triggered');
      expect(s.dump.reason).toMatch(reason);
      expect(report(out)).toMatch(reason);
      // Printed for people: no raw JSON, no nulls.
      expect(r.stdout).not.toMatch(/null|n\/a|\{/);
    });
  }

  it('a crash while the udev rule re-registers (legacy): unregistered by the rule, said so', () => {
    const out = fresh();
    const r = cli('run', 'legacy-crash-in-reregistration-window', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /dump: not taken: fadump was unregistered: the crash came while the kdump udev rule re-registered it after a memory event/,
    );
  });
});

describe('what the kernel only logs is a warning in the outcome', () => {
  it('--hot-remove 100 on a 32-LMB partition: the kernel says there are not enough LMBs', () => {
    const out = fresh();
    const r = cli('run', '--out', out, '--hot-remove', '100');
    expect(r.code).toBe(0);
    const warning = 'pseries-hotplug-mem: Not enough LMBs available (28 of 100) to satisfy request';
    expect(r.stdout).toContain(`warning: ${warning}`);
    expect(summaryOf(out).warnings).toContain(warning);
    expect(report(out)).toContain(warning);
  });

  it('a crash at an event the run never reaches, and steps a crash cut off, are warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-outcome-'));
    const late = join(dir, 'late.yaml');
    writeFileSync(late, 'steps:\n  - boot\n  - offline: 1\n  - crash: { atEvent: 5 }\n');
    const a = cli('run', late, '--out', join(dir, 'a'));
    expect(a.stdout).toContain(
      'warning: the crash was to come while udev handled memory event 5, but it handled 1: it came after the steps',
    );
    const cut = join(dir, 'cut.yaml');
    writeFileSync(
      cut,
      'machine: { kernel: legacy }\nsteps:\n  - boot\n  - offline: 1\n  - offline: 1\n  - wait: 1s\n  - crash: { atEvent: 1 }\n',
    );
    const b = cli('run', cut, '--out', join(dir, 'b'));
    expect(b.stdout).toContain(
      'warning: the crash came before the last 2 steps of the timeline, which did not run',
    );
  });

  it('a hot-add of a DRC index that is not free at that point', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-outcome-'));
    const file = join(dir, 'twice.yaml');
    writeFileSync(
      file,
      'machine: { memory: 2G }\nsteps:\n  - boot\n  - hotAdd: { drc: [0x80000010] }\n  - hotAdd: { drc: [0x80000010] }\n  - crash: {}\n',
    );
    const r = cli('run', file, '--out', join(dir, 'out'));
    expect(r.stdout).toContain('warning: hot-add: DRC 0x80000010 not free to add (assigned already)');
  });
});

describe('requests that cannot happen are errors: exit 2, one line, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    [
      '--crash-at-event with no memory events',
      ['--crash-at-event', '3'],
      /^fadump-sim: error: --crash-at-event 3: there are no memory events before the crash to crash in$/,
    ],
    [
      '--firmware qemu on PowerNV',
      ['--firmware', 'qemu', '--platform', 'powernv'],
      /^fadump-sim: error: --firmware qemu is a pSeries firmware; powernv runs skiboot \(OPAL\)$/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const out = fresh();
      const r = cli('run', '--out', out, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a scenario file: DRC indexes no LMB has, at the step; a crash time before registration, at the time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-outcome-'));
    const drc = join(dir, 'drc.yaml');
    writeFileSync(drc, 'steps:\n  - boot\n  - hotAdd: { drc: [40, 42] }\n  - crash: {}\n');
    const a = cli('run', drc, '--out', join(dir, 'a'));
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toBe(
      `fadump-sim: error: ${drc}:3:5: hotAdd DRC index 40 (0x28) is no LMB's: LMB DRC indexes start at 0x80000000, the LMB at address 0`,
    );
    const early = join(dir, 'early.yaml');
    writeFileSync(early, 'steps:\n  - boot\n  - crash: { at: 1s }\n');
    const b = cli('run', early, '--out', join(dir, 'b'));
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toBe(
      `fadump-sim: error: ${early}:3:18: crash.at 1.000s is before the first kernel is up and registered (1.500s)`,
    );
    expect(readdirSync(dir).sort()).toEqual(['drc.yaml', 'early.yaml']);
  });

  it("check's arbitraries never generate a crash at an event without memory events", () => {
    const scenarios = fc.sample(arb.scenario(), { seed: 12, numRuns: 300 });
    const events = (s: (typeof scenarios)[number]) =>
      s.steps.filter(
        (st) => typeof st === 'object' && ['hotAdd', 'hotRemove', 'offline', 'online'].some((k) => k in st),
      );
    const atEvent = scenarios.filter((s) =>
      s.steps.some((st) => typeof st === 'object' && 'crash' in st && st.crash?.atEvent !== undefined),
    );
    expect(atEvent.length).toBeGreaterThan(10);
    for (const s of atEvent) expect(events(s).length).toBeGreaterThan(0);
  });
});

describe('outputs people expect', () => {
  it("each boot's device tree is written, readable by inspect, and the report lists every output", () => {
    const out = fresh();
    const r = cli('run', '--out', out, '--memory', '2G', '--cycles', '2');
    expect(r.code).toBe(0);
    const s = summaryOf(out);
    expect(s.outputs).toEqual([
      'vmcore',
      'vmcore-dmesg.txt',
      'vmlinux',
      'vmcore.2',
      'vmcore-dmesg.2.txt',
      'vmlinux.2',
      'boot1.dtb',
      'boot2.dtb',
      'boot3.dtb',
      'summary.json',
      'console.log',
      'events.jsonl',
      'report.html',
    ]);
    expect(readdirSync(out).sort()).toEqual([...s.outputs].sort());
    const dtb = cli('inspect', join(out, 'boot2.dtb'));
    expect(dtb.code).toBe(0);
    // The fadump kernel's boot: firmware presents the waiting dump in the device tree.
    expect(dtb.stdout).toContain('ibm,kernel-dump');
    const html = report(out);
    for (const name of s.outputs) expect(html).toContain(`<code>${name}</code>`);
    expect(r.stdout).toContain(
      `wrote ${out}/vmcore-dmesg.txt, ${out}/vmlinux, ${out}/vmcore-dmesg.2.txt, ${out}/vmlinux.2, ${out}/boot1.dtb, ${out}/boot2.dtb, ${out}/boot3.dtb, ${out}/summary.json`,
    );
  });
});

describe('the report draws what happened', () => {
  /** The report's memory-map sections by phase name, as HTML. */
  const phases = (html: string) =>
    new Map(
      [...html.matchAll(/<section class="phase"[^>]*><h3>([^<]+) <small>[\s\S]*?<\/section>/g)].map((m) => [
        m[1]!,
        m[0],
      ]),
    );

  it('a corrupted field is marked in its structure and the corrupt step is on the timeline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-outcome-'));
    const file = join(dir, 'damaged.yaml');
    writeFileSync(
      file,
      'steps:\n  - boot\n  - crash: { cpu: 2 }\n  - corrupt: { struct: crash-info-header, field: pt_regs_sz, value: 400 }\n',
    );
    cli('run', file, '--out', join(dir, 'out'));
    const html = report(join(dir, 'out'));
    const marked = [...html.matchAll(/<mark class="corrupted">([^<]*)<\/mark>/g)].map((m) => m[1]!);
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(
      /^ {2}\+0020 .* pt_regs_sz +0x00000190 {2}← corrupted \(the first kernel wrote 0x00000180\)$/,
    );
    expect(html).toMatch(/<line class="corrupt"[^>]*><title>\(injected\) crash-info-header\.pt_regs_sz/);
  });

  it("the fadump kernel's map has its elfcorehdr and the memory kept for the dump; after release, neither", () => {
    const out = fresh();
    cli('run', '--out', out, '--memory', '2G');
    const p = phases(report(out));
    const capture = p.get('fadump kernel')!;
    expect(capture).toContain('data-kind="elfcorehdr"');
    expect(capture).toContain('data-kind="preserved"');
    const after = p.get('after capture')!;
    expect(after).not.toContain('data-kind="preserved"');
    expect(after).not.toContain('elfcorehdr (fadump kernel)');
    // The vmcore label is kept inside the timeline at its right edge.
    expect(report(out)).toMatch(
      /<text class="label small" x="[\d.]+" y="\d+" text-anchor="end" data-t="\d+">vmcore<\/text>/,
    );
  });

  it('a crash while fadump is unregistered draws no copy firmware will not make', () => {
    const out = fresh();
    cli('run', 'legacy-crash-in-reregistration-window', '--out', out);
    const crash = phases(report(out)).get('crash')!;
    expect(crash).toContain('fadump is not registered');
    expect(crash).not.toContain('class="copy"');
    const registered = phases(report(out)).get('registered')!;
    expect(registered).toContain('class="copy"');
  });
});
