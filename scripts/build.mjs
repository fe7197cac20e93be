// Bundles into ESM so the package installs without sources: the CLI (dist/cli.mjs and the check
// worker, shared chunks in dist/chunks/; the command definitions load first, each command's code
// only when it runs, so it starts fast), the library and fadump-sim/testing (dist/lib/), then their
// type declarations (dist/types) from tsconfig.types.json; and the lab (dist/lab/: index.html and
// lab.js, the model bundled for the browser with the built-in scenarios), a static site.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
rmSync('dist/lib', { recursive: true, force: true });
rmSync('dist/types', { recursive: true, force: true });
rmSync('dist/lab', { recursive: true, force: true });
const common = {
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CJS dependencies inside an ESM bundle need a require, which ESM lacks: the banner makes one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __esbCreateRequire } from 'node:module'; const require = __esbCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  minify: true,
  legalComments: 'none',
};
// The library and fadump-sim/testing: fast-check stays the user's own (a peer dependency), so the
// arbitraries combine with theirs.
await build({
  ...common,
  entryPoints: { index: 'api/index.ts', testing: 'testing/index.ts' },
  outdir: 'dist/lib',
  external: ['fast-check'],
});
// The command line: everything bundled, so the installed package needs no dev dependencies.
// string-width (yargs' help layout, cli-progress) is our lazy one: the package builds Unicode
// regexes as it loads, a tenth of a start (scripts/shims/string-width.cjs says why).
await build({
  ...common,
  entryPoints: { cli: 'cli/bin.ts', 'check-worker': 'cli/check-worker.ts' },
  outdir: 'dist',
  alias: { 'string-width': './scripts/shims/string-width.cjs' },
});
chmodSync('dist/cli.mjs', 0o755);
// The lab: one classic script (a module script would not load from file://), Node's modules replaced
// by what the browser has (lab/shims/), the scenario library as a module of its texts.
const library = 'scenarios/library';
const scenarios = readdirSync(library)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ name: basename(f, '.yaml'), text: readFileSync(`${library}/${f}`, 'utf8') }));
const shims = {
  name: 'lab-shims',
  setup(b) {
    b.onResolve({ filter: /^node:zlib$/ }, () => ({ path: resolve('lab/shims/zlib.ts') }));
    b.onResolve({ filter: /^node:/ }, () => ({ path: resolve('lab/shims/node.ts') }));
    b.onResolve({ filter: /^lab:scenarios$/ }, () => ({ path: 'lab:scenarios', namespace: 'lab' }));
    b.onLoad({ filter: /.*/, namespace: 'lab' }, () => ({
      contents: JSON.stringify(scenarios),
      loader: 'json',
    }));
  },
};
mkdirSync('dist/lab', { recursive: true });
await build({
  entryPoints: ['lab/page.ts'],
  outfile: 'dist/lab/lab.js',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  inject: ['lab/shims/buffer.ts'],
  // The scenario library's location on disk (library.ts), which the lab never asks for.
  define: { 'import.meta.url': '"about:blank"' },
  plugins: [shims],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync('lab/index.html', 'dist/lab/index.html');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
