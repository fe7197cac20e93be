// The generated docs match the code they are generated from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glossaryDoc } from '../../scenarios/glossary.ts';
import { upstreamDoc } from '../../scenarios/upstream.ts';
import {
  assumptionsDoc,
  kernelReleasesDoc,
  personalitiesDoc,
  quirkTests,
  scenarioJsonSchema,
  scenarioReference,
  structuresDoc,
} from '../../scripts/docs.ts';
import { REPO } from '../support/tools.ts';

describe('generated docs', () => {
  it('docs/structures.md and docs/assumptions.md are current (run `npm run docs`)', () => {
    expect(readFileSync(join(REPO, 'docs', 'structures.md'), 'utf8')).toBe(structuresDoc());
    expect(readFileSync(join(REPO, 'docs', 'assumptions.md'), 'utf8')).toBe(assumptionsDoc(REPO));
    expect(readFileSync(join(REPO, 'scenarios', 'schema.json'), 'utf8')).toBe(scenarioJsonSchema());
    expect(readFileSync(join(REPO, 'docs', 'scenarios.md'), 'utf8')).toBe(scenarioReference());
    expect(readFileSync(join(REPO, 'docs', 'kernel-releases.md'), 'utf8')).toBe(kernelReleasesDoc());
    expect(readFileSync(join(REPO, 'docs', 'firmware-personalities.md'), 'utf8')).toBe(
      personalitiesDoc(REPO),
    );
    expect(readFileSync(join(REPO, 'docs', 'glossary.md'), 'utf8')).toBe(glossaryDoc());
    expect(readFileSync(join(REPO, 'docs', 'upstream.md'), 'utf8')).toBe(upstreamDoc());
  });

  it('every QEMU quirk has a test that names it', () => {
    const untested = [...quirkTests(REPO)].filter(([, tests]) => !tests.length).map(([q]) => q);
    expect(untested).toEqual([]);
  });
});

describe('docs/reliability.md (npm run reliability)', () => {
  it('reports the full campaigns at their targets, with no failures', () => {
    const text = readFileSync(join(REPO, 'docs', 'reliability.md'), 'utf8');
    const m =
      /^Totals: (\d+) firmware calls, (\d+) header mutations, (\d+) hostile files; (\d+) failures\.$/m.exec(
        text,
      );
    expect(m).not.toBeNull();
    const [calls, mutations, files, failures] = m!.slice(1).map(Number);
    expect(calls).toBeGreaterThanOrEqual(100_000);
    expect(mutations).toBeGreaterThanOrEqual(10_000);
    expect(files).toBeGreaterThanOrEqual(1_000);
    expect(failures).toBe(0);
    // Every row names its seed, so each figure can be reproduced.
    const rows = text.split('\n').filter((l) => /^\| (firmware|check|hostile)/.test(l));
    expect(rows.length).toBe(8);
    for (const r of rows) expect(r).toMatch(/\| \d+ \| 0 \| \d+ \| [\d.]+ s \| `.+` \|$/);
  });
});
