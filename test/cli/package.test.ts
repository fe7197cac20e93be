// The npm package: `npm pack` holds the bundled CLI, the scenario library and the schema, and the
// packed CLI runs on its own (the bundle carries its dependencies).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/tools.ts';

describe('npm pack', () => {
  it('gives a package whose fadump-sim bin lists the built-in scenarios and runs one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-pack-'));
    // A nested npm inside `npm test`: no stdin, no inherited lifecycle settings, and a time limit.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      timeout: 120_000,
    });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir]);
    const pkg = join(dir, 'package');
    expect(existsSync(join(pkg, 'dist', 'cli.mjs'))).toBe(true);
    expect(existsSync(join(pkg, 'scenarios', 'schema.json'))).toBe(true);
    expect(readdirSync(join(pkg, 'scenarios', 'library')).length).toBeGreaterThanOrEqual(12);
    const list = spawnSync(join(pkg, 'dist', 'cli.mjs'), ['list'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('powernv-mpipl');
    const run = spawnSync(
      join(pkg, 'dist', 'cli.mjs'),
      ['run', 'mixed-legacy-both', '--out', join(dir, 'out')],
      {
        encoding: 'utf8',
      },
    );
    expect(run.stdout).toContain('mixed-legacy-both: captured ok');
    expect(run.status).toBe(0);
  });
});
