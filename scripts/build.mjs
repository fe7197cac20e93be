// Bundles into ESM so the package installs without sources: the CLI (dist/cli.mjs and the check
// worker, shared chunks in dist/chunks/; the command definitions load first, each command's code
// only when it runs, so it starts fast), the library and fadump-sim/testing (dist/lib/), then their
// type declarations (dist/types) from tsconfig.types.json.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
rmSync('dist/lib', { recursive: true, force: true });
rmSync('dist/types', { recursive: true, force: true });
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
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
