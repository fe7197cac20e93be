// Property campaigns (issue 7): bounded slices of each campaign with fixed seeds hold; a deliberately
// injected fault is caught and shrunk to a scenario file of a few steps that replays the failure;
// the arbitraries only generate scenario files the model runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { injectedFaults } from '../../../kernel-model/faults.ts';
import { checkExpectations } from '../../../scenarios/expectations.ts';
import { parseScenario, toBuilder } from '../../../scenarios/scenario-file.ts';
import * as arb from '../../../testing/arbitraries.ts';
import {
  caseSeed,
  counterexampleYaml,
  injectFaults,
  runCampaign,
  shardCases,
} from '../../../testing/campaign.ts';

afterEach(() => injectedFaults.clear());

describe('campaign slices (fixed seeds)', () => {
  for (const [property, runs] of [
    ['resilient-exact', 25],
    ['mutation-safe', 60],
    ['deterministic', 4],
  ] as const) {
    it(`${property}: ${runs} cases hold`, async () => {
      const results = await runCampaign({ property, runs, seed: 2026 });
      expect(results).toHaveLength(runs);
      const failed = results.filter((r) => !r.ok);
      expect(failed.map((r) => `${r.index}: ${r.message}`)).toEqual([]);
    });
  }

  it('mutation-safe reaches both main allowed outcomes: an exact dump and a refusal with the message', async () => {
    const results = await runCampaign({ property: 'mutation-safe', runs: 60, seed: 2026 });
    const outcomes = new Set(results.map((r) => r.outcome));
    for (const o of ['exact', 'refused']) expect(outcomes).toContain(o);
  });
});

describe('an injected fault', () => {
  it('boot-mem-off-by-one is caught by resilient-exact and shrunk to boot and crash on a two-region machine', async () => {
    injectFaults(['boot-mem-off-by-one']);
    const results = await runCampaign({ property: 'resilient-exact', runs: 30, seed: 1 });
    const failed = results.filter((r) => !r.ok);
    expect(failed.length).toBeGreaterThan(0);
    const f = failed[0]!;
    expect(f.message).toMatch(/^vmcore not exact: .*"missingBytes":[1-9]/);
    const cx = f.counterexample!;
    expect(cx.steps.length).toBeLessThanOrEqual(4);
    expect(cx.machine?.bootMemRegions).toBeGreaterThanOrEqual(2);

    // The file it writes replays the failure with the fault on, and passes without it.
    const text = counterexampleYaml(f, 1, ['boot-mem-off-by-one']);
    expect(text).toContain('# Replay: fadump-sim run FILE --inject-fault boot-mem-off-by-one');
    const replay = parseScenario(text, 'cx.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'fadump-cx-'));
    const withFault = await toBuilder(replay).run(join(dir, 'a'));
    expect(checkExpectations(replay, withFault.summary.cycles[0]!)).toEqual([
      expect.stringMatching(/^verify\.missingBytes: expected 0, got [1-9]/),
    ]);
    injectedFaults.clear();
    const without = await toBuilder(replay).run(join(dir, 'b'));
    expect(checkExpectations(replay, without.summary.cycles[0]!)).toEqual([]);
  });

  // Faults in what the dump says rather than what memory it holds: each must be read back from the
  // file, named, and shrunk to the smallest scenario (boot, crash).
  for (const [fault, problem, expectation] of [
    [
      'note-wrong-nip',
      /^vmcore not exact: CPU \d+ nip: the dump has 0x0, the CPU had 0xc0/,
      /^verify\.registerMismatches: expected 0, got 1 \(CPU \d+ nip 0x0, expected 0xc0/,
    ],
    [
      'note-cpu-dropped',
      /^vmcore not exact: no note for CPU \d+$/,
      /^verify\.missingCpus: expected \[\], got \[\d+\]$/,
    ],
    [
      'vmcoreinfo-damaged',
      /^vmcore not exact: VMCOREINFO differs: CRASHTIME$/,
      /^verify\.vmcoreinfoMismatch: expected \[\], got \["CRASHTIME"\]$/,
    ],
  ] as const) {
    it(`${fault} is caught by resilient-exact, named, and shrunk to boot and a crash`, async () => {
      injectFaults([fault]);
      const results = await runCampaign({ property: 'resilient-exact', runs: 3, seed: 1 });
      const f = results.find((r) => !r.ok)!;
      expect(f.message).toMatch(problem);
      const steps = f.counterexample!.steps;
      expect(steps).toHaveLength(2);
      expect(steps[0]).toBe('boot');
      expect(JSON.stringify(steps[1])).toMatch(/^"crash"$|^\{"crash":/);
      const replay = parseScenario(counterexampleYaml(f, 1, [fault]), 'cx.yaml');
      const dir = mkdtempSync(join(tmpdir(), 'fadump-cx-'));
      const withFault = await toBuilder(replay).run(join(dir, 'a'));
      expect(checkExpectations(replay, withFault.summary.cycles[0]!)).toEqual([
        expect.stringMatching(expectation),
      ]);
      injectedFaults.clear();
      const without = await toBuilder(replay).run(join(dir, 'b'));
      expect(checkExpectations(replay, without.summary.cycles[0]!)).toEqual([]);
    });
  }

  it('an unknown fault name is refused', () => {
    expect(() => injectFaults(['no-such-fault'])).toThrow(
      'unknown fault no-such-fault: boot-mem-off-by-one, note-wrong-nip, note-cpu-dropped, vmcoreinfo-damaged, capture-throws',
    );
  });
});

describe('arbitraries', () => {
  it('generate scenario files that validate as YAML and run', () => {
    for (const s of fc.sample(fc.oneof(arb.scenario(), arb.mutatedDump()), { numRuns: 60, seed: 7 })) {
      const back = parseScenario(stringify(s), 'gen.yaml');
      expect(toBuilder(back).toOptions()).toEqual(toBuilder(s).toOptions());
    }
  });

  it('mutations name real fields of the platform structures', () => {
    for (const m of fc.sample(arb.mutation('powernv'), { numRuns: 100, seed: 3 })) {
      expect(['crash-info-header', 'opal-metadata', 'mdst-entry', 'mdrt-entry']).toContain(m.struct);
      expect(['value' in m, 'xor' in m, 'truncate' in m].filter(Boolean)).toHaveLength(1);
    }
  });
});

describe('sharding', () => {
  it('shards partition the cases, and case seeds depend on seed and index', () => {
    const all = [1, 2, 3].flatMap((i) => shardCases(10, [i, 3]));
    expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(shardCases(10, [2, 3])).toEqual([1, 4, 7]);
    expect(new Set(Array.from({ length: 100 }, (_, j) => caseSeed(1, j))).size).toBe(100);
    expect(caseSeed(1, 5)).toBe(caseSeed(1, 5));
    expect(caseSeed(1, 5)).not.toBe(caseSeed(2, 5));
  });
});
