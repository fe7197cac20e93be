// npm run bench: how long runs take and how much memory they use. Figures for people, not
// assertions: speed targets live here, never in timed tests.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_RUN, type RunOptions, runScenario } from '../scenarios/run.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

const CASES: [string, Partial<RunOptions>][] = [
  ['default (8 GiB, 8 CPUs, resilient)', {}],
  ['64 GiB, 64 CPUs', { memory: 64 * GiB, cpus: 64 }],
  ['1 TiB, 256 CPUs, 1 GiB LMBs', { memory: 2 ** 40, cpus: 256, lmbSize: GiB }],
  [
    'legacy, 200 LMBs hot-added (16 MiB)',
    { kernel: 'legacy', memory: GiB, lmbSize: 16 * MiB, hotplug: { add: 200 } },
  ],
];

/** Median wall time of `node dist/cli.mjs --help` (run `npm run build` first). */
function startupMs(): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['dist/cli.mjs', '--help'], { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[3]!;
}

export async function main(): Promise<void> {
  console.log(`CLI start-up (--help, median of 7): ${startupMs().toFixed(0)} ms`);
  console.log(
    'case'.padEnd(42),
    'wall ms'.padStart(9),
    'heap MiB'.padStart(9),
    'rss MiB'.padStart(9),
    'vmcore'.padStart(10),
  );
  for (const [name, o] of CASES) {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-bench-'));
    const t0 = performance.now();
    const { summary } = await runScenario({ ...DEFAULT_RUN, ...o }, dir);
    const ms = performance.now() - t0;
    const mem = process.memoryUsage();
    const size = summary.dump.bytes ? `${(summary.dump.bytes / GiB).toFixed(1)} GiB` : summary.dump.status;
    console.log(
      name.padEnd(42),
      ms.toFixed(0).padStart(9),
      (mem.heapUsed / MiB).toFixed(0).padStart(9),
      (mem.rss / MiB).toFixed(0).padStart(9),
      size.padStart(10),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}
