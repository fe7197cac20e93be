// The layers of docs/architecture.md, enforced: imports point down only (cli → api and testing →
// scenarios → dump → kernel-model → firmware → emulator), the command line reaches the model only
// through api/ and testing/, the lab (the page in the browser) through api/ alone, and no runtime
// import cycle exists anywhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/tools.ts';

/** Layers from the bottom up; a file may import its own layer and those below. */
const LAYERS = [
  'emulator',
  'firmware',
  'kernel-model',
  'dump',
  'scenarios',
  'testing',
  'api',
  'cli',
  'lab',
] as const;
/** What each layer may import besides itself, when it is not simply everything below. */
const ONLY: Partial<Record<(typeof LAYERS)[number], readonly string[]>> = {
  cli: ['api', 'testing'],
  lab: ['api'],
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  /** import('…'): loaded when the code runs, not with the file. */
  dynamic?: boolean;
}

function sources(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) out.push(p);
    }
  };
  for (const l of LAYERS) walk(join(REPO, l));
  return out;
}

/** Every relative import and re-export, with whether it is erased at run time. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s+'(\.{1,2}\/[^']+)'/gms)) {
    const names = m[2]!.trim();
    const allTypes =
      /^\{[^}]*\}$/s.test(names) &&
      names
        .slice(1, -1)
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .every((n) => n.startsWith('type '));
    out.push({ from: file, to: resolve(dirname(file), m[3]!), typeOnly: m[1] !== undefined || allTypes });
  }
  for (const m of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g))
    out.push({ from: file, to: resolve(dirname(file), m[1]!), typeOnly: false, dynamic: true });
  return out;
}

const layerOf = (file: string) => relative(REPO, file).split('/')[0] as (typeof LAYERS)[number];
const rel = (file: string) => relative(REPO, file);

describe('architecture', () => {
  const files = sources();
  const imports = files.flatMap(importsOf);

  it('reads the imports of every source file (the checks below would pass on nothing)', () => {
    expect(files.length).toBeGreaterThan(60);
    expect(imports.filter((i) => !i.typeOnly).length).toBeGreaterThan(200);
  });

  it('imports point down the layers only; cli/ uses only api/ and testing/', () => {
    const wrong = imports.flatMap((i) => {
      const a = layerOf(i.from);
      const b = layerOf(i.to);
      if (a === b) return [];
      const allowed = ONLY[a] ?? LAYERS.slice(0, LAYERS.indexOf(a));
      return allowed.includes(b) ? [] : [`${rel(i.from)} imports ${rel(i.to)}`];
    });
    expect(wrong).toEqual([]);
  });

  it('what the command line loads before a command runs stays off the model (api/options.ts, not api/index.ts)', () => {
    // main.ts loads each command's code on use; these files load at start, and --help with them.
    const startup = ['cli/bin.ts', 'cli/main.ts', 'cli/fail.ts', 'cli/colour.ts'];
    const heavy = imports.filter(
      (i) => startup.includes(rel(i.from)) && !i.typeOnly && !i.dynamic && rel(i.to) === 'api/index.ts',
    );
    expect(heavy.map((i) => `${rel(i.from)} imports api/index.ts`)).toEqual([]);
    expect(imports.some((i) => rel(i.from) === 'cli/main.ts' && rel(i.to) === 'api/options.ts')).toBe(true);
  });

  it('has no runtime import cycle', () => {
    const graph = new Map<string, string[]>(files.map((f) => [f, []]));
    for (const i of imports) if (!i.typeOnly && graph.has(i.to)) graph.get(i.from)!.push(i.to);
    // Tarjan's strongly connected components: a component of more than one file is a cycle.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[] = [];
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v)!) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) !== index.get(v)) return;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort().join(' ↔ '));
    };
    for (const f of files) if (!index.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("docs/architecture.md's extension table names at most three places to touch per extension, all real", () => {
    const doc = readFileSync(join(REPO, 'docs', 'architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Extending it'));
    const rows = [...section.matchAll(/^\| (a [^|]+) \| (.+) \|$/gm)];
    expect(rows.map((r) => r[1])).toEqual([
      'a dump format',
      'a firmware personality',
      'a kernel release or a change in one',
      'a corruptible structure',
      'a structure the debugger should see',
      'a scenario verb',
    ]);
    for (const [, what, touch] of rows) {
      const paths = [...new Set([...touch!.matchAll(/`([a-z-]+\/[A-Za-z./-]*)`/g)].map((m) => m[1]!))];
      expect(paths.length, `${what}: ${paths.join(', ')}`).toBeGreaterThan(0);
      expect(paths.length, `${what}: ${paths.join(', ')}`).toBeLessThanOrEqual(3);
      // NAME stands for the new format's name: its directory exists.
      for (const p of paths)
        expect(existsSync(join(REPO, p.includes('NAME') ? dirname(p) : p)), p).toBe(true);
    }
  });
});
