// docs/experiments.md holds what the model measures: the small rows are recomputed here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measure, tableRow } from '../../scripts/experiments.ts';
import { REPO } from '../support/tools.ts';

describe('docs/experiments.md', () => {
  it('matches a fresh measurement for 1, 10 and 100 LMBs (run `npm run experiments` when it does not)', async () => {
    const doc = readFileSync(join(REPO, 'docs', 'experiments.md'), 'utf8');
    for (const n of [1, 10, 100]) {
      for (const g of ['legacy', 'resilient'] as const) {
        const row = await measure(n, g);
        expect(doc).toContain(tableRow(row));
        if (g === 'resilient')
          expect([row.reRegistrations, row.unregisteredMs, row.lostShare]).toEqual([0, 0, 0]);
      }
    }
  });
});
