// The usual mistakes get one clear line (issue 12): unreadable inspect inputs, truncated cores,
// numbers that are not numbers, unknown commands and options with the nearest valid one, a scenario
// key misspelt, --version, and a killed run's leftovers never blocking --force.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../api/options.ts';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'fadump-mistake-'));

/** Exit 2 and exactly this one line on stderr. */
function oneLine(r: ReturnType<typeof cli>, line: string) {
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`fadump-sim: error: ${line}\n`);
}

describe('inspect on what it cannot read', () => {
  it('a directory: one line, exit 2', () => {
    const dir = tmp();
    oneLine(cli('inspect', dir), `${dir}: cannot read: is a directory (EISDIR)`);
  });

  it('a core truncated to 100,000 bytes: what is there, a warning per missing part, exit 1', () => {
    const dir = tmp();
    expect(cli('run', '--out', join(dir, 'run'), '--memory', '2G').code).toBe(0);
    const cut = join(dir, 'cut.core');
    // The first 100,000 bytes only (the vmcore is a sparse file of gigabytes).
    const head = Buffer.alloc(100_000);
    const fd = openSync(join(dir, 'run', 'vmcore'), 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    writeFileSync(cut, head);
    const r = cli('inspect', cut);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('VMCOREINFO: ');
    const warnings = r.stderr.trim().split('\n');
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings)
      expect(w).toMatch(
        /^fadump-sim: warning: .*cut\.core: PT_LOAD \d+ \(paddr 0x[0-9a-f]+, \d+ bytes at offset 0x[0-9a-f]+\) ends past the end of the file \(100000 bytes\): the file is truncated/,
      );
    expect(cli('inspect', '--help').stdout.replace(/\s+/g, ' ')).toContain(
      '1 when it lacks what its headers promise',
    );
  });
});

describe('numbers, commands and options', () => {
  it('a number that is not one is echoed as given, not as NaN', () => {
    oneLine(cli('run', '--cpus', 'abc'), '--cpus abc: expected a number');
    oneLine(cli('run', '--seed=x'), '--seed x: expected a number');
  });

  it('an unknown command is an error, even with --help, with the nearest command', () => {
    oneLine(
      cli('serve', '--help'),
      'unknown command "serve": one of run, compare, check, list, explain, inspect, vmlinux, lab',
    );
    oneLine(
      cli('chek'),
      'unknown command "chek" (did you mean check?): one of run, compare, check, list, explain, inspect, vmlinux, lab',
    );
  });

  it('an unknown option names the nearest known one', () => {
    oneLine(cli('run', '--memroy', '2G'), 'unknown option --memroy (did you mean --memory?)');
    oneLine(
      cli('run', '--memroy', '2G', '--hot-ad', '1'),
      'unknown option --memroy (did you mean --memory?); unknown option --hot-ad (did you mean --hot-add?)',
    );
    oneLine(cli('run', '--zzzzzz', '1'), 'unknown option --zzzzzz');
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    const r = cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('--hot-add says what it does: one DLPAR request, a uevent per LMB; the drc forms are documented', () => {
    expect(cli('run', '--help').stdout.replace(/\s+/g, ' ')).toContain(
      'one DLPAR request; a uevent per LMB, udev after',
    );
    const doc = readFileSync(join(REPO, 'docs', 'scenarios.md'), 'utf8');
    expect(doc).toContain('a list of DRC indexes or { first, count, stride }');
  });

  it('every option of every command has a description in --help', () => {
    for (const command of ['run', 'compare', 'check', 'list', 'explain', 'inspect']) {
      const help = cli(command, '--help').stdout;
      // An option line whose flag is followed straight by its [type] has no description.
      const bare = help.split('\n').filter((l) => /^\s+--[a-z-]+\s+\[/.test(l));
      expect(bare, command).toEqual([]);
    }
  });

  it('every run option says what it does in --help', () => {
    const help = cli('run', '--help').stdout;
    for (const [flag, words] of [
      ['--platform', 'pseries: an LPAR with RTAS'],
      ['--firmware', 'pSeries firmware'],
      ['--endian', 'Byte order of the first kernel'],
      ['--crash-cpu', 'The CPU that panics'],
      ['--seed', 'Seed of every random choice'],
      ['--boot-mem-regions', 'Spread boot memory over'],
    ] as const) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(flag));
      expect(line, flag).toBeDefined();
      // yargs wraps long descriptions: the words follow the flag on its line or the next.
      const at = help.indexOf(line!);
      expect(help.slice(at, at + 400).replace(/\s+/g, ' '), flag).toContain(words);
    }
  });
});

describe('scenario files', () => {
  it('a misspelt key: at the key, with the nearest known key', () => {
    const dir = tmp();
    const file = join(dir, 'm.yaml');
    writeFileSync(file, 'description: x\nmachnie: {}\nsteps: [boot, crash: {}]\n');
    oneLine(
      cli('run', file, '--out', join(dir, 'out')),
      `${file}:2:1: unknown key "machnie": did you mean "machine"?`,
    );
  });
});

describe('--force and a killed run', () => {
  it("a run's own temporary leftovers do not make --force refuse", () => {
    const dir = tmp();
    const out = join(dir, 'out');
    expect(cli('run', '--out', out, '--memory', '2G').code).toBe(0);
    // What a run killed mid-way (SIGKILL, power loss) leaves.
    writeFileSync(join(out, 'events.jsonl.tmp-4242'), 'partial');
    writeFileSync(join(out, 'vmcore.tmp-4242'), 'partial');
    const r = cli('run', '--out', out, '--memory', '2G', '--force');
    expect(r.code).toBe(0);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // Anything else still stops it.
    mkdirSync(join(out, 'mine'));
    writeFileSync(join(out, 'mine', 'notes.txt'), 'keep');
    expect(cli('run', '--out', out, '--force').stderr).toContain('holds files fadump-sim did not write');
  });
});

describe('explain and compare take what run takes', () => {
  it('machine options (explain, compare) and scenario names (compare)', () => {
    const dir = tmp();
    const e = cli(
      'explain',
      '--out',
      join(dir, 'e'),
      '--memory',
      '2G',
      '--hot-add',
      '1',
      '--kernel',
      'legacy',
    );
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('pSeries LPAR, 2G in 256M LMBs, 8 CPU threads');
    expect(e.stdout).toContain('first kernel legacy');
    const c = cli('compare', 'legacy-crash-in-reregistration-window', '--out', join(dir, 'c'));
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^dump +not-triggered +captured$/m);
  });

  it('machine options beside a scenario file are an error, not ignored', () => {
    for (const command of ['run', 'explain', 'compare'])
      oneLine(
        cli(command, 'default', '--cpus', '4'),
        `${command}: --cpus does not apply to a scenario file, which sets its own machine (change the file, or leave the file out to change the default machine)`,
      );
  });

  it('PowerNV: explain names the machine and the device tree size, compare counts OPAL calls', () => {
    const dir = tmp();
    const e = cli('explain', 'powernv-mpipl', '--out', join(dir, 'e'));
    expect(e.stdout).toContain('PowerNV system, 4G in 256M memory blocks');
    expect(e.stdout).toMatch(/the device tree \(\d+ bytes\) is at 0x/);
    expect(e.stdout).not.toContain('?');
    const c = cli(
      'compare',
      '--platform',
      'powernv',
      '--memory',
      '4G',
      '--offline',
      '3',
      '--out',
      join(dir, 'c'),
    );
    // Three re-registrations, each REMOVE_ALL then one ADD_RANGE (the tags stay from boot).
    expect(c.stdout).toMatch(/^OPAL calls for events +6 +0$/m);
    expect(c.stdout).not.toContain('RTAS');
  });

  it('compare prints long unregistered times in seconds', () => {
    const c = cli(
      'compare',
      '--memory',
      '4G',
      '--hot-add',
      '8',
      '--udev-per-event',
      '60s',
      '--out',
      join(tmp(), 'c'),
    );
    expect(c.stdout).toMatch(/^time unregistered +480\.000 s +0\.0 ms$/m);
  });
});

describe('more of the same kind, found in a sweep', () => {
  it('inspect without a file says what it wants', () => {
    oneLine(
      cli('inspect'),
      'inspect: name the file to decode (a vmcore, an OPAL core or a device tree blob)',
    );
  });

  it('a scenario error names no command-line flag anywhere in its message', () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'machine: { smt: 2, cpus: 3 }\nsteps: [boot, crash: {}]\n');
    oneLine(
      cli('run', file, '--out', join(dir, 'out')),
      `${file}:1:17: smt 2 (threads per core) must be 1, 2, 4 or 8 and divide cpus 3`,
    );
  });
});
