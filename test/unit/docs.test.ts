// The generated docs match the code they are generated from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assumptionsDoc, scenarioJsonSchema, scenarioReference, structuresDoc } from '../../scripts/docs.ts';
import { REPO } from '../support/tools.ts';

describe('generated docs', () => {
  it('docs/structures.md and docs/assumptions.md are current (run `npm run docs`)', () => {
    expect(readFileSync(join(REPO, 'docs', 'structures.md'), 'utf8')).toBe(structuresDoc());
    expect(readFileSync(join(REPO, 'docs', 'assumptions.md'), 'utf8')).toBe(assumptionsDoc(REPO));
    expect(readFileSync(join(REPO, 'scenarios', 'schema.json'), 'utf8')).toBe(scenarioJsonSchema());
    expect(readFileSync(join(REPO, 'docs', 'scenarios.md'), 'utf8')).toBe(scenarioReference());
  });
});
