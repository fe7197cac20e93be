// `fadump-sim check`: property campaigns on worker threads. Case j of seed S is reproducible on its
// own; shard i/n takes the cases j ≡ i-1 (mod n), from the command line or from a batch engine's
// environment (--shard auto), and writes its result for `check merge`; each failure is shrunk and
// written as a scenario file that `fadump-sim run` replays.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
  /** Write the shard's result, `OUT/shard-I-of-N.json`, for `check merge` (when --shard is given). */
  shardFile: boolean;
  workers: number;
  out: string;
  json: boolean;
  faults: string[];
}

/** Where `--shard auto` looks, in this order: a Kubernetes Indexed Job, GitLab CI, any CI matrix. */
export const SHARD_ENVIRONMENTS = [
  { name: 'a Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', total: 'JOB_COMPLETIONS', base: 0 },
  { name: 'GitLab CI (parallel:)', index: 'CI_NODE_INDEX', total: 'CI_NODE_TOTAL', base: 1 },
  { name: 'a CI matrix', index: 'FADUMP_SIM_SHARD_INDEX', total: 'FADUMP_SIM_SHARD_TOTAL', base: 1 },
] as const;

const AUTO_HELP = SHARD_ENVIRONMENTS.map((e) => `${e.index}/${e.total}`).join(', ');

/**
 * Parses `--shard`: "i/n", or "auto" (or "auto/n", the count given) for the shard a batch engine
 * gives this process in its environment. Indexes there are 0-based for Kubernetes, 1-based for the
 * others; the result is 1-based.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): [number, number] {
  const t = text.trim();
  const auto = /^auto(?:\/(\d+))?$/.exec(t);
  if (auto) {
    const found = SHARD_ENVIRONMENTS.find((e) => env[e.index] !== undefined);
    if (!found) fail(`--shard ${t}: no shard index in the environment (${AUTO_HELP})`);
    const rawIndex = env[found.index]!;
    const rawTotal = auto[1] ?? env[found.total];
    if (rawTotal === undefined)
      fail(
        `--shard auto: ${found.index}=${rawIndex} (${found.name}) but no count: set ${found.total} or give --shard auto/N`,
      );
    const index = /^\d+$/.test(rawIndex) ? Number(rawIndex) + 1 - found.base : Number.NaN;
    const total = /^\d+$/.test(rawTotal) ? Number(rawTotal) : Number.NaN;
    if (!(total >= 1 && index >= 1 && index <= total))
      fail(`--shard auto: ${found.index}=${rawIndex} with ${total} shards is not a shard (${found.name})`);
    return [index, total];
  }
  const m = /^(\d+)\/(\d+)$/.exec(t);
  const i = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || i < 1 || i > n)
    fail(`--shard ${text}: expected i/n with 1 <= i <= n, such as 1/4, or auto (${AUTO_HELP})`);
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

/** One property's line of the report: the same for one process and for merged shards. */
export interface PropertyReport {
  property: string;
  seed: number;
  shard: string;
  cases: number;
  failures: { case: number; message: string | undefined; file: string | undefined }[];
  outcomes: Record<string, number>;
}

/** What one shard writes for `check merge`: the campaign it belongs to and every case's result. */
export interface ShardResult {
  kind: 'fadump-sim check shard';
  version: 1;
  seed: number;
  runs: number;
  shard: [number, number];
  properties: string[];
  faults: string[];
  results: Record<string, CaseResult[]>;
}

const SHARD_FILE = /^shard-(\d+)-of-(\d+)\.json$/;

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
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
  const results: Record<string, CaseResult[]> = {};
  for (const { property, cases } of plan) {
    results[property] = await runCases(property, o, cases, (r) => {
      if (!r.ok) failures++;
      bar?.increment({ property, failures });
    });
  }
  bar?.stop();
  if (o.shardFile) {
    const shard: ShardResult = {
      kind: 'fadump-sim check shard',
      version: 1,
      seed: o.seed,
      runs: o.runs,
      shard: o.shard,
      properties: names,
      faults: o.faults,
      results,
    };
    mkdirSync(o.out, { recursive: true });
    writeAtomic(join(o.out, `shard-${o.shard[0]}-of-${o.shard[1]}.json`), `${JSON.stringify(shard)}\n`);
  }
  report(names, results, o);
}

/** Writes the counterexamples, prints the report and sets the exit code. */
function report(
  names: readonly string[],
  results: Record<string, CaseResult[]>,
  o: Pick<CheckOptions, 'seed' | 'shard' | 'out' | 'json' | 'faults'>,
): void {
  const out: PropertyReport[] = [];
  let failures = 0;
  for (const property of names) {
    const rs = results[property] ?? [];
    const outcomes: Record<string, number> = {};
    for (const r of rs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const files = new Map<number, string>();
    for (const r of rs.filter((x) => !x.ok && x.counterexample)) {
      mkdirSync(o.out, { recursive: true });
      const file = join(o.out, `${property}-case-${r.index}.yaml`);
      writeAtomic(file, counterexampleYaml(r, o.seed, o.faults));
      files.set(r.index, file);
    }
    const failed = rs.filter((r) => !r.ok);
    failures += failed.length;
    out.push({
      property,
      seed: o.seed,
      shard: `${o.shard[0]}/${o.shard[1]}`,
      cases: rs.length,
      failures: failed.map((r) => ({ case: r.index, message: r.message, file: files.get(r.index) })),
      outcomes,
    });
  }
  if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else {
    for (const r of out) {
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

/**
 * `check merge DIR...`: the shard results in the directories (or files) combined into the report
 * one process running the whole campaign prints, counterexamples written to `out`. Refuses, with
 * one line and exit 2, results of different campaigns (seed, runs, properties, faults, shard
 * count), a shard given twice or cases in two shards, and a shard missing.
 */
export function merge(paths: readonly string[], o: Pick<CheckOptions, 'out' | 'json'>): void {
  const files: string[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      fail(`${p}: no such file or directory`);
    }
    if (!st.isDirectory()) {
      files.push(p);
      continue;
    }
    const found = readdirSync(p)
      .filter((f) => SHARD_FILE.test(f))
      .sort()
      .map((f) => join(p, f));
    if (!found.length) fail(`${p}: no shard results in it (shard-I-of-N.json, written by check --shard)`);
    files.push(...found);
  }
  const shards = files.map((file) => ({ file, r: readShard(file) }));
  const first = shards[0]!;
  const campaign = (r: ShardResult) =>
    `seed ${r.seed}, ${r.runs} runs, ${r.shard[1]} shards, properties ${r.properties.join(' ')}${r.faults.length ? `, faults ${r.faults.join(' ')}` : ''}`;
  const byIndex = new Map<number, string>();
  for (const { file, r } of shards) {
    if (campaign(r) !== campaign(first.r))
      fail(`${file}: another campaign (${campaign(r)}) than ${first.file} (${campaign(first.r)})`);
    const other = byIndex.get(r.shard[0]);
    if (other) fail(`shard ${r.shard[0]}/${r.shard[1]} given twice: ${other} and ${file}`);
    byIndex.set(r.shard[0], file);
  }
  const n = first.r.shard[1];
  const missing = Array.from({ length: n }, (_, k) => k + 1).filter((i) => !byIndex.has(i));
  if (missing.length)
    fail(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing`);
  const results: Record<string, CaseResult[]> = {};
  for (const property of first.r.properties) {
    const seen = new Map<number, string>();
    const all: CaseResult[] = [];
    for (const { file, r } of shards)
      for (const c of r.results[property] ?? []) {
        const other = seen.get(c.index);
        if (other) fail(`${property} case ${c.index} is in two shards: ${other} and ${file}`);
        seen.set(c.index, file);
        all.push(c);
      }
    const lost = Array.from({ length: first.r.runs }, (_, j) => j).filter((j) => !seen.has(j));
    if (lost.length)
      fail(`${property}: ${lost.length} of ${first.r.runs} cases are in no shard (case ${lost[0]} first)`);
    results[property] = all.sort((a, b) => a.index - b.index);
  }
  report(first.r.properties, results, { ...first.r, shard: [1, 1], out: o.out, json: o.json });
}

function readShard(file: string): ShardResult {
  let r: ShardResult;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file}: not a check shard result: ${(e as Error).message}`);
  }
  const ok =
    r !== null &&
    typeof r === 'object' &&
    r.kind === 'fadump-sim check shard' &&
    r.version === 1 &&
    Number.isInteger(r.seed) &&
    Number.isInteger(r.runs) &&
    Array.isArray(r.shard) &&
    r.shard.length === 2 &&
    r.shard.every(Number.isInteger) &&
    Array.isArray(r.properties) &&
    Array.isArray(r.faults) &&
    typeof r.results === 'object' &&
    r.results !== null &&
    r.properties.every((p) => Array.isArray(r.results[p]));
  if (!ok)
    fail(`${file}: not a check shard result of this version (kind, version, seed, runs, shard, results)`);
  return r;
}
