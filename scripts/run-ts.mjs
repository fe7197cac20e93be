// Runs a TypeScript script of the project: bundles it with esbuild into dist/, imports it and calls
// its exported main() if it has one.
//   node scripts/run-ts.mjs scripts/experiments.ts [args...]
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(process.argv[2] ?? '');
const out = join(repo, 'dist', `${basename(entry, '.ts')}.mjs`);
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: out,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __esbCreateRequire } from 'node:module'; const require = __esbCreateRequire(import.meta.url);",
  },
});
const mod = await import(pathToFileURL(out).href);
if (typeof mod.main === 'function') await mod.main(process.argv.slice(3));
