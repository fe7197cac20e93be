// The built-in scenario library (scenarios/library/*.yaml) and how a scenario argument names a file
// or one of them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, ScenarioError } from './scenario-file.ts';

/**
 * The built-in scenario library: scenarios/library beside the sources, or in the package root
 * above the bundle (dist/cli.mjs, dist/chunks/, dist/lib/chunks/).
 */
export function libraryDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(dir, 'library')];
  for (let up = 0; up < 4; up++, dir = dirname(dir)) candidates.push(join(dir, 'scenarios', 'library'));
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

/**
 * The built-in scenarios, each with how the kdump service saves its dump: `elf` (a copy of
 * /proc/vmcore) or `kdump -d N` (makedumpfile -c at dump level N).
 */
export function libraryScenarios(): { name: string; file: string; description: string; dump: string }[] {
  const dir = libraryDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const s = parseScenario(readFileSync(file, 'utf8'), file);
      const format = s.dump?.format ?? 'elf';
      const dump = format === 'elf' ? 'elf' : `kdump -d ${s.dump?.level ?? 31}`;
      return { name: basename(f, '.yaml'), file, description: s.description ?? '', dump };
    });
}

/** A scenario argument: a file path, or the name of a built-in scenario. */
export function resolveScenario(arg: string): string {
  if (existsSync(arg)) return arg;
  const lib = join(libraryDir(), `${arg}.yaml`);
  if (existsSync(lib)) return lib;
  throw new ScenarioError(`${arg}: no such file and no built-in scenario of that name (see fadump-sim list)`);
}
