// The npm package: `npm pack` holds the bundled CLI, the library with its type declarations, the
// lab, the docs, the scenario library and the schema; the packed CLI runs on its own (the bundle carries its
// dependencies), and a consumer imports the library and type-checks against it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    for (const f of [
      'cli.mjs',
      'check-worker.mjs',
      'lib/index.mjs',
      'lib/testing.mjs',
      'types/api/index.d.ts',
      'lab/index.html',
      'lab/lab.js',
    ])
      expect(existsSync(join(pkg, 'dist', f)), f).toBe(true);
    expect(existsSync(join(pkg, 'scenarios', 'schema.json'))).toBe(true);
    // The docs the report's citations name (docs/structures.md#…) come with it.
    expect(existsSync(join(pkg, 'docs', 'structures.md'))).toBe(true);
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

    // A consumer project (under the repository, so the package's own dependencies' types resolve
    // from its node_modules as they would after npm install).
    mkdirSync(join(REPO, 'test', '.tmp'), { recursive: true });
    const app = mkdtempSync(join(REPO, 'test', '.tmp', 'consumer-'));
    cpSync(pkg, join(app, 'node_modules', 'fadump-sim'), { recursive: true });
    writeFileSync(join(app, 'package.json'), '{ "type": "module" }\n');
    const code = [
      "import { Scenario, type Summary, libraryScenarios } from 'fadump-sim';",
      'const r = await Scenario.create({ memory: 2 ** 31 }).boot().hotAdd(1).crashAt({ cpu: 1 }).run(process.argv[2]!);',
      'const s: Summary = r.summary;',
      'console.log(s.dump.status, s.crash.cpu, libraryScenarios().length >= 12);',
    ];
    writeFileSync(join(app, 'app.mts'), `${code.join('\n')}\n`);
    writeFileSync(
      join(app, 'bad.mts'),
      "import { Scenario } from 'fadump-sim';\nScenario.create({ memory: '8G' });\n",
    );
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        types: ['node'],
        skipLibCheck: false,
      },
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['app.mts'] }));
    writeFileSync(join(app, 'tsconfig.bad.json'), JSON.stringify({ ...tsconfig, files: ['bad.mts'] }));
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const good = spawnSync(process.execPath, [tsc, '-p', app], { encoding: 'utf8', cwd: app });
    expect(good.stdout).toBe('');
    expect(good.status).toBe(0);
    // The declarations are real: a wrong option type is an error.
    const bad = spawnSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.bad.json')], {
      encoding: 'utf8',
      cwd: app,
    });
    expect(bad.stdout).toMatch(
      /bad\.mts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/,
    );
    // And it runs: strip the one type annotation and run the module as JavaScript.
    writeFileSync(
      join(app, 'app.mjs'),
      code.join('\n').replace(', type Summary', '').replace(': Summary', '').replace('!)', ')'),
    );
    const out = spawnSync(process.execPath, [join(app, 'app.mjs'), join(app, 'out')], {
      encoding: 'utf8',
      cwd: app,
    });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('captured 1 true');

    // fadump-sim/testing with the consumer's own fast-check: the arbitraries plug into fc.assert.
    const testing = [
      "import fc from 'fast-check';",
      "import { arbitraries, propertyByName } from 'fadump-sim/testing';",
      "import { parseScenario } from 'fadump-sim';",
      "import { stringify } from 'yaml';",
      'let n = 0;',
      'fc.assert(fc.property(arbitraries.mutatedDump(), (s) => { parseScenario(stringify(s), "g.yaml"); n++; }), { numRuns: 20, seed: 1 });',
      "const p = propertyByName('mutation-safe')!;",
      'console.log(n, p.name);',
    ];
    writeFileSync(join(app, 'testing.mts'), `${testing.join('\n')}\n`);
    writeFileSync(
      join(app, 'tsconfig.testing.json'),
      JSON.stringify({ ...tsconfig, files: ['testing.mts'] }),
    );
    const typed = spawnSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.testing.json')], {
      encoding: 'utf8',
      cwd: app,
    });
    expect(typed.stdout).toBe('');
    writeFileSync(join(app, 'testing.mjs'), testing.join('\n').replace(')!;', ');'));
    const ran = spawnSync(process.execPath, [join(app, 'testing.mjs')], { encoding: 'utf8', cwd: app });
    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim()).toBe('20 mutation-safe');
    rmSync(app, { recursive: true, force: true });
  });
});
