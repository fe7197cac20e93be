// Nothing half-written (issue 7): outputs appear under their final names only complete; an
// interrupted run (SIGINT, SIGTERM, even SIGKILL) leaves no partial file under a final name and,
// when it can clean up, no temporary file either; an existing output directory is replaced only
// with --force, and never when it holds files fadump-sim did not write.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatOf, withDump } from '../../dump/formats.ts';
import { readElfCore } from '../support/elf-reader.ts';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
const tmp = () => mkdtempSync(join(tmpdir(), 'fadump-int-'));

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Every file under a final name is whole: parses, ends properly, or (cores) is as long as its headers say. */
function assertComplete(dir: string): void {
  for (const f of files(dir)) {
    const name = relative(dir, f);
    if (/\.tmp-\d+$/.test(f)) continue;
    if (f.endsWith('.json')) expect(() => JSON.parse(readFileSync(f, 'utf8')), name).not.toThrow();
    else if (f.endsWith('.jsonl'))
      for (const line of readFileSync(f, 'utf8').trimEnd().split('\n'))
        expect(() => JSON.parse(line), name).not.toThrow();
    else if (f.endsWith('.html')) expect(readFileSync(f, 'utf8').endsWith('</html>\n'), name).toBe(true);
    else if (f.endsWith('.log') || f.endsWith('.txt'))
      expect(readFileSync(f, 'utf8').endsWith('\n'), name).toBe(true);
    else if (/(vmcore|opalcore)(\.\d+)?$/.test(f) && formatOf(f) === 'kdump') {
      // Every page its descriptors point at is in the file and decodes.
      withDump(f, 'kdump', (d) => {
        for (const l of d.contents.loads)
          for (let at = l.paddr; at < l.paddr + l.size; at += d.contents.granule) d.read(at, 8);
      });
    } else if (/(vmcore|opalcore)(\.\d+)?$/.test(f)) {
      const core = readElfCore(f);
      const end = Math.max(...core.phdrs.map((p) => p.offset + p.filesz));
      expect(statSync(f).size, name).toBeGreaterThanOrEqual(end);
    } else if (/vmlinux(\.\d+)?$/.test(f)) {
      // An ELF executable ends with its section headers.
      const b = readFileSync(f);
      expect(b.readUInt32BE(0), name).toBe(0x7f454c46);
      expect(b.length, name).toBe(Number(b.readBigUInt64LE(0x28)) + 64 * b.readUInt16LE(0x3c));
    } else if (f.endsWith('.dtb')) {
      // A flattened device tree is as long as its header's totalsize.
      const b = readFileSync(f);
      expect(b.readUInt32BE(0), name).toBe(0xd00dfeed);
      expect(b.length, name).toBe(b.readUInt32BE(4));
    } else throw new Error(`unexpected output ${name}`);
  }
}

async function interrupted(
  signal: NodeJS.Signals,
  afterMs: number,
): Promise<{ code: number | null; out: string }> {
  const out = join(tmp(), 'out');
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      'default',
      'powernv-mpipl',
      'repeated-crash-cycle',
      'legacy-elfcorehdr-overflow',
      '--out',
      out,
    ],
    {
      stdio: 'ignore',
    },
  );
  const timer = setTimeout(() => child.kill(signal), afterMs);
  const code = await new Promise<number | null>((resolve) =>
    child.on('exit', (c, s) => resolve(c ?? (s ? -1 : null))),
  );
  clearTimeout(timer);
  return { code, out };
}

describe('interrupted runs', () => {
  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} at different moments: complete files only, no temporary files left`, async () => {
      let stopped = 0;
      for (const ms of [250, 500, 900, 1400, 2200]) {
        const { code, out } = await interrupted(signal, ms);
        // Finished (0), stopped by the handler (130/143), or killed before the handler was installed (-1).
        expect([0, status, -1]).toContain(code);
        if (code === status) stopped++;
        expect(files(out).filter((f) => /\.tmp-\d+$/.test(f))).toEqual([]);
        assertComplete(out);
      }
      // The test only means something if some runs were really cut short.
      expect(stopped).toBeGreaterThan(0);
    });
  }

  it('SIGKILL (no cleanup possible): still nothing partial under a final name', async () => {
    for (const ms of [400, 1200]) {
      const { out } = await interrupted('SIGKILL', ms);
      assertComplete(out);
    }
  });
});

describe('an existing output directory', () => {
  it('is not overwritten without --force', () => {
    const out = join(tmp(), 'out');
    expect(cli('run', '--out', out, '--memory', '1G').status).toBe(0);
    const before = statSync(join(out, 'summary.json')).mtimeMs;
    const again = cli('run', '--out', out, '--memory', '1G');
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`fadump-sim: error: --out ${out} already exists: add --force to replace it\n`);
    expect(statSync(join(out, 'summary.json')).mtimeMs).toBe(before);
  });

  it('--force replaces an earlier run, stale outputs included', () => {
    const out = join(tmp(), 'out');
    expect(cli('run', 'repeated-crash-cycle', '--out', out).status).toBe(0);
    expect(existsSync(join(out, 'vmcore.2'))).toBe(true);
    expect(cli('run', '--out', out, '--memory', '1G', '--force').status).toBe(0);
    expect(existsSync(join(out, 'vmcore.2'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).machine.memory).toBe('1G');
  });

  it('--force never replaces a directory holding other files', () => {
    const out = join(tmp(), 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'thesis.tex'), 'precious');
    const r = cli('run', '--out', out, '--force');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('holds files fadump-sim did not write: not replacing it, even with --force');
    expect(readdirSync(out)).toEqual(['thesis.tex']);
  });
});
