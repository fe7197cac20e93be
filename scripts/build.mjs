// Bundles the CLI into one ESM file (dist/cli.mjs) so it starts fast and installs without sources.
import { chmodSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['cli/bin.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/cli.mjs',
  // CJS dependencies inside an ESM bundle need a require (LIBRARIES.md: esbuild ESM banner).
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __esbCreateRequire } from 'node:module'; const require = __esbCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  minify: true,
  legalComments: 'none',
});
chmodSync('dist/cli.mjs', 0o755);
