// When the system refuses an output — a directory that cannot be created or written, a read-only
// file system, a file-size limit, a full file system, /proc and /sys — the run ends with one line
// naming the path and the cause, exit 2, and nothing half-written; never a stack trace or a hang.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const root = mkdtempSync(join(tmpdir(), 'fadump-outerr-'));
const mounts: string[] = [];

/** Runs the CLI through bash (for ulimit and runuser), with a time limit: a hang fails the test. */
function sh(script: string) {
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

const run = (out: string, extra = '', cli = CLI) =>
  `${extra} ${process.execPath} ${cli} run --memory 2G --out ${out}`;

/** One line on stderr, exit 2, no stack trace. */
function expectOneLine(r: ReturnType<typeof sh>, message: RegExp) {
  expect(r.signal).toBeNull();
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** Mounts a file system for the test (root only); outside CI a missing capability skips. */
function mount(args: string[], at: string): boolean {
  mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', [...args, at], { encoding: 'utf8' });
  if (r.status === 0) mounts.push(at);
  return r.status === 0;
}

const isRoot = process.getuid?.() === 0;
const mustRun = process.env.CI === 'true';

afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  rmSync(root, { recursive: true, force: true });
});

describe('outputs the system refuses', () => {
  for (const [path, message] of [
    [
      '/proc/fadump-sim-out',
      /^fadump-sim: error: --out \/proc\/fadump-sim-out: cannot write: .+ \(E[A-Z]+\)$/,
    ],
    ['/sys/fadump-sim-out', /^fadump-sim: error: --out \/sys\/fadump-sim-out: cannot write: .+ \(E[A-Z]+\)$/],
  ] as const) {
    it(`--out ${path}: checked before the work, one line, exit 2`, () => {
      const r = sh(run(path));
      expectOneLine(r, message);
      expect(r.stdout).toBe('');
      expect(existsSync(path)).toBe(false);
    });
  }

  it('--out below a file: not a directory', () => {
    const file = join(root, 'a-file');
    sh(`: > ${file}`);
    expectOneLine(
      sh(run(join(file, 'out'))),
      /--out .*a-file\/out: cannot write: not a directory \(ENOTDIR\)$/,
    );
  });

  it.runIf(isRoot || mustRun)('a directory a non-root user may not write: permission denied', () => {
    const dir = join(root, 'locked');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    chmodSync(root, 0o755);
    // The checkout may sit where nobody cannot read it (a clone under a 0700 mktemp directory): the
    // bundle, which needs nothing beside it, is copied to where nobody can.
    const dist = join(root, 'dist');
    cpSync(join(REPO, 'dist', 'cli.mjs'), join(dist, 'cli.mjs'));
    cpSync(join(REPO, 'dist', 'chunks'), join(dist, 'chunks'), { recursive: true });
    const r = sh(run(join(dir, 'out'), 'runuser -u nobody --', join(dist, 'cli.mjs')));
    expectOneLine(r, /--out .*locked\/out: cannot write: permission denied \(EACCES\)$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(isRoot || mustRun)('a read-only bind mount: read-only file system', () => {
    const src = join(root, 'ro-src');
    const ro = join(root, 'ro');
    mkdirSync(src);
    expect(mount(['--bind', src], ro) && mount(['-o', 'remount,bind,ro'], ro)).toBe(true);
    expectOneLine(
      sh(run(join(ro, 'out'))),
      /--out .*ro\/out: cannot write: read-only file system \(EROFS\)$/,
    );
    expect(readdirSync(src)).toEqual([]);
  });

  it('a file-size limit (ulimit -f): the vmcore would be too large, found before the work, nothing left behind', () => {
    const out = join(root, 'limited');
    const r = sh(`ulimit -f 10240; ${run(out)}`);
    // The up-front check (a sparse file sized to the largest vmcore the partition can give), not
    // the write at the end of the run, says so.
    expectOneLine(
      r,
      /^fadump-sim: error: .*limited\/vmcore: cannot write: file too large \(EFBIG\): a vmcore of up to 1879048192 bytes \(1\.8 GiB\) does not fit here; --dump-format kdump or a --dump-level writes only the pages it keeps$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a file-size limit a kdump-compressed vmcore meets while it is written: one line, exit 2, nothing left behind', () => {
    // Its size is known only once the pages are compressed, so the write itself meets the limit.
    const out = join(root, 'limited-kdump');
    const r = sh(`ulimit -f 2000; ${run(out)} --dump-format kdump --dump-level 31`);
    expectOneLine(r, /^fadump-sim: error: .*limited-kdump\/vmcore: cannot write: file too large \(EFBIG\)$/);
    expect(existsSync(out)).toBe(false);
  });

  it('a partition larger than the file system can hold as one file (ext4: 16 TiB): refused before the work', () => {
    // A 17 TiB LPAR; the file-size limit stands in for ext4's, which this test cannot count on.
    const out = join(root, 'huge');
    const r = sh(
      `ulimit -f ${16 * 2 ** 30}; ${process.execPath} ${CLI} run --memory 17T --lmb-size 1G --out ${out}`,
    );
    expectOneLine(
      r,
      /huge\/vmcore: cannot write: file too large \(EFBIG\): a vmcore of up to \d+ bytes \(17\.0 TiB\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it.runIf(isRoot || mustRun)('a full file system: no space left, nothing half-written', () => {
    const small = join(root, 'small');
    expect(mount(['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs'], small)).toBe(true);
    const out = join(small, 'out');
    const r = sh(run(out));
    expectOneLine(
      r,
      /^fadump-sim: error: .*small\/out\/vmcore: cannot write: no space left on device \(ENOSPC\)$/,
    );
    expect(existsSync(out)).toBe(false);
    // An empty directory given as --out stays, empty.
    mkdirSync(out);
    expectOneLine(sh(run(out)), /no space left on device \(ENOSPC\)$/);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('a bug that cuts a run short', () => {
  it('leaves nothing half-written: one line, exit 70, the run directory gone (kept, empty, when it was given empty)', () => {
    const fault = '--inject-fault capture-throws';
    const out = join(root, 'bug');
    const r = sh(`${run(out)} ${fault}`);
    expect(r.code).toBe(70);
    expect(r.stderr.trim()).toBe(
      'fadump-sim: internal error: injected fault capture-throws (a bug: please report it; FADUMP_SIM_DEBUG=1 prints the stack)',
    );
    expect(existsSync(out)).toBe(false);
    mkdirSync(out);
    expect(sh(`${run(out)} ${fault}`).code).toBe(70);
    expect(readdirSync(out)).toEqual([]);
    // The stack, for a bug report, on request.
    expect(sh(`FADUMP_SIM_DEBUG=1 ${run(join(root, 'bug2'))} ${fault}`).stderr).toMatch(/\n\s+at /);
  });
});
