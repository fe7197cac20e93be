// npm run bench: how fast fadump-sim is and how much memory it takes, each figure beside a reference
// measured in the same run on the same machine (node -e 0, Buffer.copy, cp, zlib alone,
// vmcore-dmesg). Prints a table and writes docs/performance.md. Figures for people, not assertions:
// speed targets live here, never in timed tests.
//   npm run bench                 everything, the scale sweep up to 64 TiB (minutes)
//   npm run bench -- --quick      the sweep up to 4 TiB, fewer repetitions (under a minute)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import { writeElfCore } from '../dump/elf-writer.ts';
import { writeKdump } from '../dump/kdump-writer.ts';
import { SeededRng } from '../emulator/clock.ts';
import { BACKING_PAGE, PhysicalMemory } from '../emulator/physical-memory.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import { DEFAULT_RUN, type RunOptions, runScenario } from '../scenarios/run.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'cli.mjs');

/** The small partition of the campaign figure: 1 GiB, 2 CPUs, one hotplug event, crash, capture. */
const SMALL: RunOptions = { ...DEFAULT_RUN, memory: GiB, cpus: 2, crashCpu: 1, hotplug: { add: 1 } };

// A worker thread of the campaign figure: runs small cycles for the time given, posts the count.
if (!isMainThread && (workerData as { bench?: string })?.bench === 'campaign') {
  const { ms } = workerData as { ms: number };
  // In memory, as a campaign's cases run: everything a `run` does but writing files (the dump is
  // written to a file in memory and verified from it).
  const cycle = async () => {
    const { summary } = await runScenario(SMALL, null);
    if (summary.dump.status !== 'captured' || summary.verify.mismatchedBytes !== 0)
      throw new Error('the small cycle did not capture an exact dump');
  };
  // A campaign of many cases runs warm: the first cycles, compiled as they go, are not counted.
  for (const w0 = performance.now(); performance.now() - w0 < ms / 5; ) await cycle();
  let n = 0;
  const t0 = performance.now();
  for (; performance.now() - t0 < ms; n++) await cycle();
  parentPort!.postMessage({ n, ms: performance.now() - t0 });
}

// A worker thread of the campaign figure's reference: an arithmetic loop for the time given, posting
// its rounds, so the 2-worker ratio stands beside what two threads of pure computation get here.
// (A cycle's worker also lends V8's background threads — compilers, concurrent marking — the other
// core, which one worker alone has to itself: `node --single-threaded` runs a third fewer cycles.)
if (!isMainThread && (workerData as { bench?: string })?.bench === 'spin') {
  const { ms } = workerData as { ms: number };
  let n = 0;
  let x = 0;
  const t0 = performance.now();
  for (; performance.now() - t0 < ms; n++) for (let i = 0; i < 1e6; i++) x = (x * 31 + i) | 0;
  parentPort!.postMessage({ n: n + (x & 0), ms: performance.now() - t0 });
}

interface Row {
  what: string;
  value: string;
  reference: string;
  ratio: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
const rate = (bytes: number, t: number) => `${((bytes / MiB) * (1000 / t)).toFixed(0)} MiB/s`;
const tmp = () => mkdtempSync(join(tmpdir(), 'fadump-bench-'));

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function timeAsync(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/**
 * Wall time and peak RSS of a CLI process: VmHWM from /proc at its exit (getrusage's maxrss keeps
 * the forking parent's peak across exec on Linux, so it would report the bench's own).
 */
function cliRun(args: readonly string[]): {
  ms: number;
  rssMiB: number;
  status: number | null;
  stderr: string;
} {
  const probe = join(tmpdir(), `fadump-bench-rss-${process.pid}.mjs`);
  writeFileSync(
    probe,
    "import { readFileSync } from 'node:fs';\nprocess.on('exit', () => process.stderr.write('\\nBENCH_MAXRSS_KB ' + /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1] + '\\n'));\n",
  );
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', probe, CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 2 ** 26,
  });
  const t = performance.now() - t0;
  const kb = Number(/BENCH_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return {
    ms: t,
    rssMiB: kb / 1024,
    status: r.status,
    stderr: r.stderr.replace(/\nBENCH_MAXRSS_KB \d+\n/, ''),
  };
}

async function cycles(rows: Row[], quick: boolean): Promise<void> {
  const dir = tmp();
  for (let i = 0; i < 3; i++) await runScenario(DEFAULT_RUN, join(dir, 'warm'));
  const times: number[] = [];
  for (let i = 0; i < (quick ? 7 : 20); i++)
    times.push(await timeAsync(() => runScenario(DEFAULT_RUN, join(dir, 'in'))));
  const nodeAlone = median(
    Array.from({ length: 5 }, () => time(() => spawnSync(process.execPath, ['-e', '0']))),
  );
  const cli = median(
    Array.from({ length: 5 }, () => cliRun(['run', '--out', join(dir, 'cli'), '--force']).ms),
  );
  const help = median(Array.from({ length: 5 }, () => cliRun(['--help']).ms));
  rows.push(
    { what: 'default cycle, in process (median)', value: ms(median(times)), reference: '', ratio: '' },
    {
      what: 'default cycle, CLI `run`',
      value: ms(cli),
      reference: `node -e 0: ${ms(nodeAlone)}`,
      ratio: `×${(cli / nodeAlone).toFixed(1)}`,
    },
    {
      what: 'CLI `--help`',
      value: ms(help),
      reference: `node -e 0: ${ms(nodeAlone)}`,
      ratio: `×${(help / nodeAlone).toFixed(1)}`,
    },
  );
  rmSync(dir, { recursive: true, force: true });
}

/** Rounds a second, summed over `workers` threads each running the bench worker `bench` for `span` ms. */
async function perSecondOn(workers: number, bench: string, span: number): Promise<number> {
  const file = fileURLToPath(import.meta.url);
  const counts = await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(file, { workerData: { bench, ms: span } });
          w.on('message', (m: { n: number; ms: number }) => resolve((m.n * 1000) / m.ms));
          w.on('error', reject);
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function campaign(rows: Row[], quick: boolean): Promise<void> {
  const span = quick ? 2000 : 5000;
  const one = await perSecondOn(1, 'campaign', span);
  const two = await perSecondOn(2, 'campaign', span);
  const spin = (await perSecondOn(2, 'spin', span / 2)) / (await perSecondOn(1, 'spin', span / 2));
  const what = (workers: number) =>
    `small crash cycles a second, ${workers} worker${workers > 1 ? 's' : ''} (1 GiB, 2 CPUs, hot-add, crash, capture, verify; in memory, no files)`;
  rows.push(
    { what: what(1), value: one.toFixed(0), reference: '', ratio: '' },
    {
      what: what(2),
      value: two.toFixed(0),
      reference: `1 worker: ${one.toFixed(0)}; an arithmetic loop on 2 threads: ×${spin.toFixed(2)} of 1`,
      ratio: `×${(two / one).toFixed(2)}`,
    },
  );
}

interface Step {
  lmbs: number;
  threads: number;
}

async function sweep(rows: Row[], quick: boolean): Promise<string[]> {
  const blocks = quick ? [1024, 16_384] : [1024, 16_384, 262_144];
  const steps: Step[] = [
    ...blocks.map((lmbs) => ({ lmbs, threads: 8 })),
    { lmbs: 1024, threads: 256 },
    { lmbs: 1024, threads: 2048 },
    ...(quick ? [] : [{ lmbs: 262_144, threads: 2048 }]),
  ];
  const table = [
    '| LMBs (256 MiB) | memory | threads | wall | peak RSS | dump on disk | growth (time, RSS) |',
    '|---|---|---|---|---|---|---|',
  ];
  const done = new Map<string, { ms: number; rss: number }>();
  for (const s of steps) {
    const dir = tmp();
    const memory = s.lmbs * 256 * MiB;
    const r = cliRun([
      'run',
      '--out',
      dir,
      '--force',
      '--memory',
      String(memory),
      '--lmb-size',
      '256M',
      '--cpus',
      String(s.threads),
      '--hot-remove',
      String(s.lmbs / 2),
      '--dump-format',
      'kdump',
    ]);
    let disk = Number.NaN;
    try {
      disk = statSync(join(dir, 'vmcore')).blocks * 512;
    } catch {}
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0)
      throw new Error(
        `sweep step ${s.lmbs} LMBs, ${s.threads} threads: exit ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`,
      );
    // Growth against the step ×4 or ×16 smaller in one dimension.
    const prev = [...done.entries()].reverse().find(([k]) => {
      const [l, t] = k.split('/').map(Number);
      return (l === s.lmbs && t! < s.threads) || (t === s.threads && l! < s.lmbs);
    });
    done.set(`${s.lmbs}/${s.threads}`, { ms: r.ms, rss: r.rssMiB });
    const growth = prev
      ? `×${(r.ms / prev[1].ms).toFixed(1)}, ×${(r.rssMiB / prev[1].rss).toFixed(1)} (from ${prev[0].replace('/', ' LMBs, ')} threads)`
      : '';
    table.push(
      `| ${s.lmbs.toLocaleString('en')} | ${memory / 2 ** 40 >= 1 ? `${memory / 2 ** 40} TiB` : `${memory / GiB} GiB`} | ${s.threads} | ${(r.ms / 1000).toFixed(1)} s | ${r.rssMiB.toFixed(0)} MiB | ${(disk / MiB).toFixed(1)} MiB | ${growth} |`,
    );
  }
  const big = done.get('262144/2048');
  if (big)
    rows.push({
      what: '64 TiB, 262,144 LMBs, 2,048 threads, half hot-removed, kdump -d 31',
      value: `${(big.ms / 1000).toFixed(1)} s, ${big.rss.toFixed(0)} MiB RSS`,
      reference: '',
      ratio: '',
    });
  return table;
}

/** Memory written densely with compressible, seeded bytes: what relocation and the writers move. */
function filledMemory(bytes: number): PhysicalMemory {
  const mem = new PhysicalMemory(() => true);
  const rng = new SeededRng(7);
  const text = new TextEncoder().encode('fadump-sim bench: a line of kernel text and data 0123456789\n');
  for (let at = 0; at < bytes; at += BACKING_PAGE) {
    const page = new Uint8Array(BACKING_PAGE);
    for (let i = 0; i < BACKING_PAGE; i += text.length)
      page.set(text.subarray(0, Math.min(text.length, BACKING_PAGE - i)), i);
    for (let i = 0; i < 256; i++) page[rng.int(0, BACKING_PAGE - 1)] = rng.int(0, 255);
    mem.poke(at, page);
  }
  return mem;
}

async function copies(rows: Row[], quick: boolean): Promise<void> {
  const size = (quick ? 256 : 1024) * MiB;
  const mem = filledMemory(size);
  const plain = Buffer.alloc(size);
  for (let at = 0; at < size; at += 16 * MiB) plain.set(mem.peek(at, 16 * MiB), at);
  const target = Buffer.alloc(size);
  const reference = median([0, 1, 2].map(() => time(() => plain.copy(target))));
  // A copy one byte off moves every byte misaligned, which the host's memmove does at a fraction of
  // its aligned rate: the unaligned relocation is measured against the same misaligned copy.
  const misaligned = median([0, 1, 2].map(() => time(() => plain.copy(target, 1, 0, size - 1))));
  // Relocation as firmware does it: boot memory to the reserved area, page-aligned (copy-on-write
  // sharing; Linux's destinations are always page-aligned), and one byte off (every byte moved).
  const aligned = median([0, 1, 2].map(() => time(() => mem.copy(0, 4 * size, size))));
  const unaligned = median([0, 1, 2].map(() => time(() => mem.copy(0, 8 * size + 1, size))));
  rows.push(
    {
      what: `boot-memory relocation, ${size / MiB} MiB, page-aligned`,
      value: rate(size, aligned),
      reference: `Buffer.copy: ${rate(size, reference)}`,
      ratio: `×${(reference / aligned).toFixed(1)}`,
    },
    {
      what: `boot-memory relocation, ${size / MiB} MiB, one byte off`,
      value: rate(size, unaligned),
      reference: `Buffer.copy one byte off: ${rate(size, misaligned)}`,
      ratio: `×${(misaligned / unaligned).toFixed(2)}`,
    },
  );

  const dir = tmp();
  const image: DumpImage = {
    order: 'le',
    notes: new Uint8Array(0),
    segments: [{ paddr: 0, vaddr: 0xc000000000000000n, size, source: mem, sourceAddr: 0 }],
  };
  const elfTimes: number[] = [];
  const cpTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    elfTimes.push(await timeAsync(() => writeElfCore(join(dir, 'elf'), image)));
    rmSync(join(dir, 'elf-copy'), { force: true });
    cpTimes.push(time(() => spawnSync('cp', [join(dir, 'elf'), join(dir, 'elf-copy')])));
  }
  const elf = median(elfTimes);
  const cp = median(cpTimes);
  rows.push({
    what: `ELF writer, ${size / MiB} MiB`,
    value: rate(size, elf),
    reference: `cp: ${rate(size, cp)}`,
    ratio: `×${(cp / elf).toFixed(2)}`,
  });
  const kdump = await timeAsync(() => writeKdump(join(dir, 'kdump'), image, { level: 0 }));
  const zlib = time(() => {
    for (let at = 0; at < size; at += BACKING_PAGE) deflateSync(mem.peek(at, BACKING_PAGE), { level: 1 });
  });
  rows.push({
    what: `kdump writer (-c), ${size / MiB} MiB`,
    value: rate(size, kdump),
    reference: `zlib alone: ${rate(size, zlib)}`,
    ratio: `×${(zlib / kdump).toFixed(2)}`,
  });
  rmSync(dir, { recursive: true, force: true });
}

function dmesg(rows: Row[]): void {
  const dir = tmp();
  cliRun(['run', '--out', dir, '--force']);
  const vmcore = join(dir, 'vmcore');
  const ours = median([0, 1, 2].map(() => cliRun(['inspect', vmcore, '--dmesg']).ms));
  const tool = ['/usr/sbin/vmcore-dmesg', 'vmcore-dmesg'].find(
    (t) => spawnSync(t, ['--help']).error === undefined,
  );
  const theirs = tool ? median([0, 1, 2].map(() => time(() => spawnSync(tool, [vmcore])))) : Number.NaN;
  rows.push({
    what: '`inspect --dmesg` of the default vmcore',
    value: ms(ours),
    reference: tool ? `vmcore-dmesg: ${ms(theirs)}` : 'vmcore-dmesg not installed',
    ratio: tool ? `×${(ours / theirs).toFixed(1)}` : '',
  });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The report of a legacy hotplug storm (10,000 events and more) in headless Chromium: the time to
 * its load event and to one step of the player, against a page of one line loaded the same way.
 */
async function reportPage(rows: Row[]): Promise<void> {
  const shell = spawnSync('sh', ['-c', 'command -v chromium-headless-shell'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!shell) {
    rows.push({
      what: 'report.html, 10,000 events',
      value: '',
      reference: 'chromium-headless-shell not installed',
      ratio: '',
    });
    return;
  }
  // Loaded at run time, not bundled (playwright-core finds its files through __dirname).
  const load = createRequire(import.meta.url);
  const { chromium } = load('playwright-core') as typeof import('playwright-core');
  const { Scenario } = await import('../scenarios/builder.ts');
  const dir = tmp();
  const run = await Scenario.create({ kernel: 'legacy', memory: 64 * 2 ** 30 })
    .boot()
    .hotAdd(1500)
    .crashAt({ cpu: 1 })
    .run(dir);
  writeFileSync(join(dir, 'blank.html'), '<!doctype html><title>blank</title><p>one line</p>\n');
  const browser = await chromium.launch({ executablePath: shell, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    // The median of five loads, each until the load event.
    const load = async (name: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await page.goto(`file://${join(dir, name)}`, { waitUntil: 'load' });
        times.push(performance.now() - t0);
      }
      return median(times);
    };
    const blank = await load('blank.html');
    const report = await load('report.html');
    // A step: a key press until the page has drawn it, 50 of them.
    await page.focus('body');
    const steps = await page.evaluate(async () => {
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) {
        document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
        await new Promise((r) => requestAnimationFrame(r));
      }
      return (performance.now() - t0) / 50;
    });
    const frame = await page.evaluate(async () => {
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) await new Promise((r) => requestAnimationFrame(r));
      return (performance.now() - t0) / 50;
    });
    const events = run.machine.events.events.length.toLocaleString('en');
    rows.push(
      {
        what: `report.html of a legacy storm of ${events} events (${(statSync(join(dir, 'report.html')).size / MiB).toFixed(1)} MiB): load`,
        value: ms(report),
        reference: `a one-line page: ${ms(blank)}`,
        ratio: `×${(report / blank).toFixed(1)}`,
      },
      {
        what: 'the same report: one step of the player (key press to the frame drawn)',
        value: ms(steps),
        reference: `an animation frame: ${ms(frame)}`,
        ratio: `×${(steps / frame).toFixed(1)}`,
      },
    );
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const rows: Row[] = [];
  const started = performance.now();
  await cycles(rows, quick);
  await campaign(rows, quick);
  await copies(rows, quick);
  dmesg(rows);
  await reportPage(rows);
  const sweepTable = await sweep(rows, quick);
  const table = [
    '| measure | fadump-sim | reference, same run | ratio |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.value} | ${r.reference} | ${r.ratio} |`),
  ];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
  const doc = [
    '<!-- Written by `npm run bench` (scripts/bench.ts); do not edit by hand. -->',
    '# Performance',
    '',
    `Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${machine}, in ${((performance.now() - started) / 1000).toFixed(0)} s. Every figure stands beside a reference measured in the same run. The ratio of a throughput (MiB/s) is ours over the reference's: above 1, faster than the reference. The ratio of a time is ours over the reference's: how many times longer than the reference we take.`,
    '',
    ...table,
    '',
    '## Scale sweep',
    '',
    "One `run` per row as a CLI process: 256 MiB LMBs, half of them hot-removed in one bulk DLPAR event before the crash, the dump kdump-compressed at level 31. Peak RSS is the process's VmHWM at exit; the dump's size is the blocks it takes on disk. Growth is against the row ×4 or ×16 smaller in one dimension.",
    '',
    ...sweepTable,
    '',
  ].join('\n');
  if (!quick) writeFileSync(join(REPO, 'docs', 'performance.md'), doc);
  console.log(doc);
  if (quick) console.log('(--quick: docs/performance.md not written)');
}
