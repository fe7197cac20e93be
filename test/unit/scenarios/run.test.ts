// End-to-end properties of a run: determinism, boot memory spread over several regions, and the
// capture kernel really overwriting boot memory while the vmcore still holds the crashed kernel's.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPrintkRing } from '../../../kernel-model/printk-ring.ts';
import { SYMBOLS } from '../../../kernel-model/symbols.ts';
import { DEFAULT_RUN, type RunOptions, runScenario } from '../../../scenarios/run.ts';
import { run as runIn } from '../../support/partition.ts';

const MiB = 2 ** 20;
const _tmp = () => mkdtempSync(join(tmpdir(), 'fadump-run-'));

async function run(o: Partial<RunOptions>, dir?: string) {
  if (!dir) return runIn({ memory: 1024 * MiB, ...o });
  return { dir, ...(await runScenario({ ...DEFAULT_RUN, memory: 1024 * MiB, ...o }, dir)) };
}

describe('runScenario', () => {
  it('gives byte-identical vmcore, summary and console for the same seed, different ones for another', async () => {
    const a = await run({ seed: 42 });
    const b = await run({ seed: 42 });
    const c = await run({ seed: 43 });
    for (const f of ['vmcore', 'summary.json', 'console.log', 'events.jsonl']) {
      expect(readFileSync(join(a.dir, f)).equals(readFileSync(join(b.dir, f))), f).toBe(true);
    }
    expect(readFileSync(join(a.dir, 'vmcore')).equals(readFileSync(join(c.dir, 'vmcore')))).toBe(false);
  });

  it('in memory (outDir null): the same summary and dump bytes as on disk, and nothing on disk', async () => {
    const o: RunOptions = {
      ...DEFAULT_RUN,
      memory: 1024 * MiB,
      hotplug: { add: 1, remove: 1 },
      dump: { format: 'kdump', level: 31 },
    };
    const dir = _tmp();
    const disk = await runScenario(o, join(dir, 'out'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const mem = await runScenario(o, null);
      expect(readdirSync(dir)).toEqual(['out']);
      expect({ ...mem.summary, outputs: [] }).toEqual({ ...disk.summary, outputs: [] });
      expect(mem.summary.outputs).toEqual(['vmcore']);
      expect(mem.summary.verify.mismatchedBytes).toBe(0);
      expect(mem.summary.dump.pages?.free).toBeGreaterThan(0);
      const file = mem.captures[0]!.file!;
      expect(Buffer.from(file.bytes()).equals(readFileSync(join(dir, 'out', 'vmcore')))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('captures boot memory spread over three regions (PowerVM, 16 MiB LMBs)', async () => {
    const r = await run({ lmbSize: 16 * MiB, bootMemRegions: 3 });
    expect(r.summary.dump.status).toBe('captured');
    expect(r.summary.verify.mismatchedBytes).toBe(0);
    expect(r.summary.dump.loads.slice(0, 3)).toEqual([
      { start: '0x0', size: '0x10000000' },
      { start: '0x11000000', size: '0x2000000' },
      { start: '0x14000000', size: '0x2000000' },
    ]);
  });

  it('the capture kernel overwrote boot memory, yet the vmcore holds the crashed kernel', async () => {
    const r = await run({});
    const live = readPrintkRing(r.machine.memory, 'le').map((x) => x.text);
    const atCrash = readPrintkRing(r.snapshots[0]!, 'le').map((x) => x.text);
    expect(live).toContain('rtas fadump: Firmware-assisted dump is active.');
    expect(atCrash).not.toContain('rtas fadump: Firmware-assisted dump is active.');
    expect(atCrash).toContain('Kernel panic - not syncing: sysrq triggered crash');
    const ring = SYMBOLS.printk_data;
    expect(
      Buffer.from(r.machine.memory.peek(ring, 4096)).equals(Buffer.from(r.snapshots[0]!.peek(ring, 4096))),
    ).toBe(false);
    expect(r.summary.verify.mismatchedBytes).toBe(0);
  });

  it('logs the story to events.jsonl, and every firmware call at debug level', async () => {
    const info = await run({});
    const debug = await run({ logLevel: 'debug' });
    const lines = (dir: string) =>
      readFileSync(join(dir, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const kinds = lines(info.dir).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['boot', 'registered', 'os-term', 'dump-processed', 'reset']),
    );
    expect(kinds).not.toContain('call');
    const calls = lines(debug.dir).filter((e) => e.kind === 'call');
    expect(calls.map((c) => c.name)).toContain('ibm,configure-kernel-dump');
    expect(lines(debug.dir).every((e) => typeof e.t === 'string' && !('time' in e) && !('pid' in e))).toBe(
      true,
    );
  });

  it('reports not-triggered when fadump is not enabled', async () => {
    const r = await run({ cmdline: 'root=/dev/sda2' });
    expect(r.summary.dump).toEqual({
      status: 'not-triggered',
      reason: 'fadump=on is not on the kernel command line (root=/dev/sda2): nothing was reserved for a dump',
      vmcore: null,
      format: 'elf',
      crash: null,
      cpus: [],
      loads: [],
      vmcoreinfo: null,
      level: 0,
      pages: null,
    });
    expect(r.summary.verify.mismatchedBytes).toBeNull();
  });
});

describe('what firmware refused', () => {
  it('is in the report: the call, the reason, the value and the answer', async () => {
    const { dir, ...r } = await runIn(
      {},
      {
        // A kernel bug for the occasion: ibm,configure-kernel-dump with two arguments.
        afterBoot: (_, kernel) =>
          void kernel.rtasCall(kernel.rtasToken('ibm,configure-kernel-dump')!, [1, 2]),
      },
    );
    expect(r.summary.dump.status).toBe('captured');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>What firmware refused</h2>');
    expect(html).toMatch(
      /<td>ibm,configure-kernel-dump<\/td><td>nargs, expected 3<\/td><td>0x2<\/td><td>status -3<\/td>/,
    );
  });
});
