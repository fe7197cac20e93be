import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUN, runScenario } from '../scenarios/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'cyc-'));
for (let i = 0; i < 5; i++) await runScenario(DEFAULT_RUN, join(dir, 'w'));
const t: number[] = [];
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  await runScenario(DEFAULT_RUN, join(dir, 'x'));
  t.push(performance.now() - t0);
}
t.sort((a, b) => a - b);
console.log('median', t[15]!.toFixed(1), 'min', t[0]!.toFixed(1));
