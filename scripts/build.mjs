// Bundles the CLI and the library into ESM (dist/cli.mjs, dist/index.mjs, shared chunks in
// dist/chunks/) so the package installs without sources and the CLI starts fast: the command
// definitions load first, each command's code only when it runs. Then the library's type
// declarations (dist/types) from tsconfig.types.json.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
rmSync('dist/types', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'cli/bin.ts', index: 'api/index.ts' },
  splitting: true,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CJS dependencies inside an ESM bundle need a require (LIBRARIES.md: esbuild ESM banner).
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __esbCreateRequire } from 'node:module'; const require = __esbCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  minify: true,
  legalComments: 'none',
});
chmodSync('dist/cli.mjs', 0o755);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
