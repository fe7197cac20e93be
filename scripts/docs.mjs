// npm run docs: bundles scripts/docs.ts with esbuild and writes the generated docs.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(repo, 'dist', 'docs.mjs');
await build({
  entryPoints: [join(repo, 'scripts', 'docs.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  logLevel: 'warning',
});
const { structuresDoc, assumptionsDoc } = await import(pathToFileURL(out).href);
writeFileSync(join(repo, 'docs', 'structures.md'), structuresDoc());
writeFileSync(join(repo, 'docs', 'assumptions.md'), assumptionsDoc(repo));
console.log('wrote docs/structures.md, docs/assumptions.md');
