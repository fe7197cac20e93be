// Layers import downward only: cli → api → testing → scenarios → kernel-model → firmware → emulator (STYLE.md 5).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/tools.ts';

const ORDER = ['emulator', 'firmware', 'kernel-model', 'scenarios', 'testing', 'api', 'cli'] as const;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layering', () => {
  it('no layer imports from a layer above it, and models use no wall clock or Math.random', () => {
    const problems: string[] = [];
    for (const [rank, layer] of ORDER.entries()) {
      for (const file of files(join(REPO, layer))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
          const target = relative(REPO, join(file, '..', m[1]!)).split('/')[0]!;
          const targetRank = ORDER.indexOf(target as (typeof ORDER)[number]);
          if (targetRank > rank)
            problems.push(`${relative(REPO, file)} imports ${m[1]} (${target} is above ${layer})`);
        }
        if (layer !== 'cli' && /Math\.random|Date\.now|new Date\(/.test(text)) {
          problems.push(`${relative(REPO, file)} uses the wall clock or Math.random`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
