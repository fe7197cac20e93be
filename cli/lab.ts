// `fadump-sim lab`: serves the lab (dist/lab/, built by `npm run build`) on localhost. The page needs
// nothing from the server but its two files: the model runs in the browser.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCause } from '../api/core.ts';
import { fail } from './fail.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/**
 * dist/lab beside the bundle (dist/cli.mjs, dist/chunks/*.mjs) or, from the sources, in the
 * package's dist/.
 */
export function labDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 3; up++, dir = dirname(dir))
    for (const d of [join(dir, 'lab'), join(dir, 'dist', 'lab')])
      if (existsSync(join(d, 'index.html')) && existsSync(join(d, 'lab.js'))) return d;
  return undefined;
}

export async function labCommand(port: number, host: string): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`--port ${port}: expected a TCP port, 0 to 65535 (0: any free one)`);
  const dir = labDir();
  if (!dir) fail('the lab is not built: npm run build writes it to dist/lab/');
  // Only the files the build wrote, read once: nothing else under the directory is reachable.
  const files = new Map(
    readdirSync(dir)
      .filter((f) => TYPES[extname(f)])
      .map((f) => [`/${f}`, { type: TYPES[extname(f)]!, body: readFileSync(join(dir, f)) }]),
  );
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://lab').pathname;
    const file = files.get(path === '/' ? '/index.html' : path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!file) {
      res
        .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end(`${path}: not part of the lab\n`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  await new Promise<void>((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        `--port ${port}: ${errnoCause(e.code ?? '')}${e.code === 'EADDRINUSE' ? '; choose another, or --port 0 for any free one' : ''}`,
      ),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const at = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  process.stdout.write(`fadump-sim lab: http://${shown}:${at}/ (Ctrl-C stops it)\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
