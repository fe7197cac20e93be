// `fadump-sim check`: property campaigns on worker threads. Case j of seed S is reproducible on its
// own; shard i/n takes the cases j ≡ i-1 (mod n); each failure is shrunk and written as a scenario
// file that `fadump-sim run` replays.

import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Presets, SingleBar } from 'cli-progress';
import {
  type CaseResult,
  counterexampleYaml,
  injectFaults,
  runCase,
  shardCases,
} from '../testing/campaign.ts';
import { PROPERTIES, propertyByName } from '../testing/properties.ts';
import { paint } from './colour.ts';
import { EXIT_DUMP_FAILED, fail } from './fail.ts';

export interface CheckOptions {
  properties: string[];
  runs: number;
  seed: number;
  shard: [number, number];
  workers: number;
  out: string;
  json: boolean;
  faults: string[];
}

/** Parses "i/n". */
export function parseShard(text: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || i < 1 || i > n) fail(`--shard ${text}: expected i/n with 1 <= i <= n, such as 1/4`);
  return [i, n];
}

function workerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const found = [join(here, 'check-worker.mjs'), join(here, '..', 'check-worker.mjs')].find((f) =>
    existsSync(f),
  );
  if (!found) throw new Error('check-worker.mjs is missing next to the bundle (npm run build)');
  return found;
}

/** Runs `cases` of one property on `workers` threads (or in this thread for one worker). */
async function runCases(
  property: string,
  o: CheckOptions,
  cases: number[],
  onCase: (r: CaseResult) => void,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  if (o.workers <= 1) {
    injectFaults(o.faults);
    for (const j of cases) {
      const r = await runCase(propertyByName(property)!, o.seed, j);
      results.push(r);
      onCase(r);
    }
    return results;
  }
  const file = workerFile();
  const slices = Array.from({ length: o.workers }, (_, w) => cases.filter((_, k) => k % o.workers === w));
  await Promise.all(
    slices
      .filter((s) => s.length > 0)
      .map(
        (slice) =>
          new Promise<void>((resolve, reject) => {
            const w = new Worker(file, {
              workerData: { property, seed: o.seed, cases: slice, faults: o.faults },
            });
            w.on('message', (r: CaseResult) => {
              results.push(r);
              onCase(r);
            });
            w.on('error', reject);
            w.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`check worker exited with ${code}`)),
            );
          }),
      ),
  );
  return results.sort((a, b) => a.index - b.index);
}

export async function check(o: CheckOptions): Promise<void> {
  const names = o.properties.length ? o.properties : PROPERTIES.map((p) => p.name);
  for (const n of names)
    if (!propertyByName(n)) fail(`unknown property ${n}: one of ${PROPERTIES.map((p) => p.name).join(', ')}`);
  try {
    injectFaults(o.faults);
  } catch (e) {
    fail((e as Error).message);
  }
  const plan = names.map((property) => ({ property, cases: shardCases(o.runs, o.shard) }));
  const total = plan.reduce((s, p) => s + p.cases.length, 0);
  const showBar = !o.json && process.stderr.isTTY === true && process.env.CI !== 'true';
  const bar = showBar
    ? new SingleBar(
        {
          format: '{bar} {value}/{total} {property} failures {failures}',
          stream: process.stderr,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  let failures = 0;
  bar?.start(total, 0, { property: '', failures });
  const report = [];
  for (const { property, cases } of plan) {
    const t0 = performance.now();
    const results = await runCases(property, o, cases, (r) => {
      if (!r.ok) failures++;
      bar?.increment({ property, failures });
    });
    const outcomes: Record<string, number> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const files: string[] = [];
    for (const r of results.filter((x) => !x.ok && x.counterexample)) {
      mkdirSync(o.out, { recursive: true });
      const file = join(o.out, `${property}-case-${r.index}.yaml`);
      writeFileSync(`${file}.tmp-${process.pid}`, counterexampleYaml(r, o.seed, o.faults));
      renameSync(`${file}.tmp-${process.pid}`, file);
      files.push(file);
    }
    report.push({
      property,
      seed: o.seed,
      shard: `${o.shard[0]}/${o.shard[1]}`,
      cases: results.length,
      failures: results
        .filter((r) => !r.ok)
        .map((r, i) => ({ case: r.index, message: r.message, file: files[i] })),
      outcomes,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    });
  }
  bar?.stop();
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const r of report) {
      const verdict = r.failures.length ? paint.bad(`${r.failures.length} failed`) : paint.good('ok');
      const spread = Object.entries(r.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      process.stdout.write(
        `${r.property}: ${r.cases} cases, ${verdict} (${spread}); seed ${r.seed}, shard ${r.shard}\n`,
      );
      for (const f of r.failures) {
        process.stdout.write(`  case ${f.case}: ${f.message}\n`);
        if (f.file)
          process.stdout.write(
            `    shrunk to ${f.file}; replay: fadump-sim run ${f.file}${o.faults.length ? ` --inject-fault ${o.faults.join(' ')}` : ''}\n`,
          );
      }
    }
  }
  if (failures > 0) process.exitCode = EXIT_DUMP_FAILED;
}
