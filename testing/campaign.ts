// Property campaigns: case j of a campaign with seed S is one fast-check run seeded from (S, j), so a
// campaign splits into shards and workers by case number and every case is reproducible on its
// own. A failing case is shrunk by fast-check and written as a scenario file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { setInjectedFaults } from '../kernel-model/faults.ts';
import type { ScenarioFile } from '../scenarios/scenario-file.ts';
import { type PropertyDef, propertyByName } from './properties.ts';

export interface CaseResult {
  property: string;
  index: number;
  ok: boolean;
  /** Which allowed outcome the (first) try had, e.g. exact, refused, no dump. */
  outcome: string;
  /** What went wrong with the shrunk counterexample. */
  message?: string;
  counterexample?: ScenarioFile;
  /** Shrinking steps fast-check took. */
  shrinks?: number;
}

/** The fast-check seed of case `index` of a campaign seeded `seed` (a 32-bit mix of both). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

/** The case numbers shard `i` of `n` (1-based) runs out of `runs`. */
export function shardCases(runs: number, shard: [number, number]): number[] {
  const [i, n] = shard;
  return Array.from({ length: runs }, (_, j) => j).filter((j) => j % n === i - 1);
}

/** Runs one case: generate, check, and on failure shrink. Each try runs in a temporary directory. */
export async function runCase(p: PropertyDef, seed: number, index: number): Promise<CaseResult> {
  let outcome: string | undefined;
  const prop = fc.asyncProperty(p.arbitrary, async (s) => {
    // A directory only for a property that writes files; the others run in memory.
    let dir: string | undefined;
    try {
      const r = await p.check(s, () => (dir ??= mkdtempSync(join(tmpdir(), 'fadump-check-'))));
      outcome ??= r.outcome;
      if (r.problem) throw new Error(r.problem);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
  const r = await fc.check(prop, { seed: caseSeed(seed, index), numRuns: 1 });
  if (!r.failed) return { property: p.name, index, ok: true, outcome: outcome ?? 'none' };
  const err = r.errorInstance;
  return {
    property: p.name,
    index,
    ok: false,
    outcome: outcome ?? 'none',
    message: err instanceof Error ? err.message : String(err),
    ...(r.counterexample ? { counterexample: r.counterexample[0] } : {}),
    shrinks: r.numShrinks,
  };
}

/** Turns on the faults named (test-only; see kernel-model/faults.ts). */
export function injectFaults(names: readonly string[]): void {
  setInjectedFaults(names);
}

export interface CampaignOptions {
  property: string;
  runs: number;
  seed: number;
  shard?: [number, number];
  /** Called after each case (progress). */
  onCase?: (r: CaseResult) => void;
}

/** Runs a property's cases in this thread (workers are the CLI's business). */
export async function runCampaign(o: CampaignOptions): Promise<CaseResult[]> {
  const p = propertyByName(o.property);
  if (!p) throw new Error(`unknown property ${o.property}`);
  const out: CaseResult[] = [];
  for (const j of shardCases(o.runs, o.shard ?? [1, 1])) {
    const r = await runCase(p, o.seed, j);
    out.push(r);
    o.onCase?.(r);
  }
  return out;
}

/** The counterexample as a scenario file: replaying it with `fadump-sim run` fails the same way. */
export function counterexampleYaml(r: CaseResult, seed: number, faults: readonly string[] = []): string {
  const p = propertyByName(r.property)!;
  const s: ScenarioFile = {
    name: `${r.property}-case-${r.index}`,
    description: `Counterexample to ${r.property} (seed ${seed}, case ${r.index}): ${r.message}`,
    ...r.counterexample!,
    ...(p.replay ? { expect: p.replay } : {}),
  };
  const head = [
    '# yaml-language-server: $schema=https://unpkg.com/fadump-sim/scenarios/schema.json',
    `# Found by: fadump-sim check ${r.property} --seed ${seed} (case ${r.index}, shrunk in ${r.shrinks ?? 0} steps)`,
    ...(faults.length ? [`# Replay: fadump-sim run FILE --inject-fault ${faults.join(' ')}`] : []),
    `# ${p.description}.`,
    `# ${r.message}`,
  ];
  return `${head.join('\n')}\n${stringify(s, { lineWidth: 0 })}`;
}
