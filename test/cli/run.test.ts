// The bundled CLI (dist/cli.mjs, built by `npm test` before vitest runs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fadump-sim run: bad configuration', () => {
  const cases: [string[], RegExp][] = [
    [['--lmb-size', '100M'], /--lmb-size 100M must be a power of two from 16M to 1G/],
    [['--lmb-size', '2G'], /--lmb-size 2G must be a power of two/],
    [['--memory', '8200M'], /--memory 8200M must be a positive multiple of the LMB size/],
    [['--memory', '512M'], /--memory 512M is smaller than fadump needs/],
    [['--crash-cpu', '8'], /--crash-cpu 8 does not exist: the machine has CPUs 0-7/],
    [['--cpus', '0'], /--cpus 0 must be from 1 to 2048/],
    [['--memory', 'lots'], /--memory lots: expected a size such as 512M, 8G or 1T/],
    [['--memory', '8'], /--memory 8 is 8 bytes, too small to be meant: add a unit, as in 8G or 8M/],
    [['--firmware', 'slof'], /^fadump-sim: error: --firmware slof: one of powervm, qemu\n$/],
    [
      ['--log-level', 'inf'],
      /--log-level inf: one of debug, info, warn, error, silent \(did you mean info\?\)/,
    ],
    [['--smt', '3'], /--smt 3 \(threads per core\) must be 1, 2, 4 or 8 and divide --cpus 8/],
    [['--boot-mem-regions', '3'], /--boot-mem-regions 3 is not possible with 256M LMBs: at most 2/],
    [['--platform', 'powernv', '--hot-add', '2'], /powernv has no DLPAR: use --offline/],
    [
      ['--platform', 'powernv', '--memory', '1G'],
      /--memory 1G is smaller than fadump needs: 768M of boot memory/,
    ],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')} → exit 2, one line, nothing written`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
      const r = cli('run', '--out', out, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.trim()).length,
      ).toBe(1);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }

  it('an unknown option is a usage error', () => {
    const r = cli('run', '--no-such-option');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fadump-sim: error: unknown option --no-such-option\n');
  });
});

describe('fadump-sim --help', () => {
  it('names the run command and its machine options', () => {
    const r = cli('run', '--help');
    expect(r.code).toBe(0);
    for (const opt of [
      '--firmware',
      '--memory',
      '--lmb-size',
      '--cpus',
      '--endian',
      '--crash-cpu',
      '--seed',
      '--boot-mem-regions',
      '--note-pids',
    ]) {
      expect(r.stdout).toContain(opt);
    }
  });
});

describe('fadump-sim run: the default scenario', () => {
  it('captures a verified vmcore and writes summary.json and console.log', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli('run', '--out', out, '--memory', '2G');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.dump).toMatchObject({ status: 'captured', vmcore: 'vmcore' });
    expect(summary.verify.mismatchedBytes).toBe(0);
    expect(summary.crash.cpu).toBe(3);
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toContain(
      'rtas fadump: Registration is successful!',
    );
    expect(existsSync(join(out, 'vmcore'))).toBe(true);
  });
});

describe('fadump-sim run --dump-format kdump', () => {
  it('writes a kdump-compressed vmcore that verifies, and inspect reads it', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli('run', '--out', out, '--memory', '2G', '--dump-format', 'kdump', '--dump-level', '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'vmcore')).subarray(0, 8).toString('latin1')).toBe('KDUMP   ');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.dump).toMatchObject({ status: 'captured', format: 'kdump' });
    const i = cli('inspect', join(out, 'vmcore'));
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(
      /^.*vmcore: kdump-compressed \(makedumpfile header version 6\), little-endian, release 6\.15\.0/,
    );
    expect(i.stdout).toMatch(/^block size 65536, dump level 1, status 0x1, 8 CPUs/m);
    expect(i.stdout).toContain('Kernel command line: root=/dev/sda2 ro fadump=on');
  });

  for (const [args, message] of [
    [['--dump-level', '32', '--dump-format', 'kdump'], /--dump-level 32 must be 0 to 31/],
    [['--dump-level', '-1'], /--dump-level -1 must be 0 to 31/],
    [['--dump-format', 'lzo'], /--dump-format lzo: one of elf, kdump/],
  ] as const) {
    it(`${args.join(' ')} → exit 2, one line, nothing written`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
      const r = cli('run', '--out', out, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('fadump-sim run: a dump that says the wrong thing', () => {
  // Test-only faults in the fadump kernel: the memory is right, the notes are not. The verdict is
  // read back from the vmcore, so each one fails the run and is named.
  for (const [fault, line, key] of [
    [
      'note-wrong-nip',
      /^verify: CPU 3 nip: the dump has 0x0, the CPU had 0xc000000000123450$/m,
      'registerMismatches',
    ],
    ['note-cpu-dropped', /^verify: no note for CPU 7$/m, 'missingCpus'],
    ['vmcoreinfo-damaged', /^verify: VMCOREINFO differs: CRASHTIME$/m, 'vmcoreinfoMismatch'],
  ] as const) {
    it(`--inject-fault ${fault}: exit 1, the mismatch named on stdout and in summary.json`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
      const r = cli('run', '--out', out, '--memory', '2G', '--inject-fault', fault);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(line);
      // Only that mismatch: every byte of memory is right.
      expect(r.stdout).not.toMatch(/differ from memory|INCOMPLETE|not memory assigned/);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.verify.mismatchedBytes).toBe(0);
      expect(summary.verify[key]).toHaveLength(1);
    });
  }
});

describe('fadump-sim compare', () => {
  it('--json gives legacy and resilient outcomes for the same memory events and crash', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli(
      'compare',
      '--out',
      out,
      '--memory',
      '2G',
      '--hot-add',
      '3',
      '--crash-at-event',
      '2',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.legacy).toMatchObject({
      reRegistrations: 1,
      rtasCalls: 3,
      unregisteredNs: 300_000_000,
      dump: { status: 'not-triggered' },
    });
    expect(j.resilient).toMatchObject({
      reRegistrations: 0,
      rtasCalls: 0,
      unregisteredNs: 0,
      elfcorehdrOverflowBytes: 0,
      dump: { status: 'captured' },
      verify: { mismatchedBytes: 0 },
    });
    expect(existsSync(join(out, 'legacy', 'summary.json'))).toBe(true);
    expect(existsSync(join(out, 'resilient', 'vmcore'))).toBe(true);
  });

  it('prints a side-by-side table', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli('compare', '--out', out, '--memory', '2G', '--hot-add', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/re-registrations\s+2\s+0/);
    expect(r.stdout).toMatch(/dump\s+captured\s+captured/);
  });

  it('takes the udev timing from --udev-latency and --udev-per-event', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli(
      'compare',
      '--out',
      out,
      '--memory',
      '2G',
      '--hot-add',
      '2',
      '--udev-per-event',
      '1s',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).legacy.unregisteredNs).toBe(2_000_000_000);
    const bad = cli('compare', '--out', out, '--udev-latency', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--udev-latency soon: expected a duration such as 5ms or 0.2s/);
  });

  it('rejects a negative event count with exit 2 and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli('compare', '--out', out, '--hot-add', '-1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--hot-add -1 must be a count/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('fadump-sim with scenario files', () => {
  it('list names the built-in scenarios with how each saves its dump and their descriptions', () => {
    const r = cli('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^legacy-crash-in-reregistration-window\s+elf\s+Seed failure 1/m);
    expect(r.stdout).toMatch(/^resilient-hotplug-storm\s+kdump -d 31\s+Linux 6\.10\+/m);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(12);
  });

  it('run NAME runs a built-in scenario and checks its expectations', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = cli('run', 'endianness-mismatch', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('endianness-mismatch: refused ok');
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  });

  it('a malformed file: exit 2, file:line:column, nothing written', () => {
    const d = mkdtempSync(join(tmpdir(), 'fadump-cli-'));
    const file = join(d, 'broken.yaml');
    writeFileSync(file, 'machine:\n  cpus: -3\nsteps: [boot, crash: {}]\n');
    const out = join(d, 'out');
    const r = cli('run', file, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^fadump-sim: error: ${file.replace(/[.]/g, '\\.')}:2:9: `));
    expect(existsSync(out)).toBe(false);
  });

  it('an expectation that fails: exit 1, named', () => {
    const d = mkdtempSync(join(tmpdir(), 'fadump-cli-'));
    const file = join(d, 'wrong.yaml');
    writeFileSync(file, 'machine: { memory: 2G }\nsteps: [boot, crash: {}]\nexpect: { dump: refused }\n');
    const r = cli('run', file, '--out', join(d, 'out'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('expectation failed: dump: expected refused, got captured');
    // The report names it too.
    expect(readFileSync(join(d, 'out', 'report.html'), 'utf8')).toContain(
      '<ul class="failed"><li>dump: expected refused, got captured</li></ul>',
    );
  });

  it('--log-level debug puts every firmware call in events.jsonl; info leaves them out', () => {
    const d = mkdtempSync(join(tmpdir(), 'fadump-cli-'));
    const kinds = (level: string) => {
      const out = join(d, level);
      expect(cli('run', 'default', '--out', out, '--log-level', level).code).toBe(0);
      return readFileSync(join(out, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).kind as string);
    };
    expect(kinds('debug')).toContain('call');
    expect(kinds('info')).not.toContain('call');
  });

  it('output piped into a reader that stops early is not an error', () => {
    // explain prints far more than a pipe holds, so it is still writing when head has gone.
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; ${process.execPath} ${CLI} explain --out ${out} | head -c 100`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toHaveLength(100);
  });
});

describe('progress bar', () => {
  it('is drawn on a terminal and never when output is piped', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const piped = cli('run', 'default', 'endianness-mismatch', '--out', out);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    // `script` gives the command a pseudo-terminal (util-linux, on every Debian system).
    const out2 = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const tty = spawnSync(
      'script',
      ['-qec', `${process.execPath} ${CLI} run default endianness-mismatch --out ${out2}`, '/dev/null'],
      {
        encoding: 'utf8',
        env: { ...process.env, CI: '' },
      },
    );
    expect(tty.status).toBe(0);
    expect(tty.stdout).toContain('2/2');
  });
});

describe('colour', () => {
  // `script` gives the command a pseudo-terminal; NO_COLOR (https://no-color.org) turns colour off.
  const onTerminal = (env: Record<string, string>, ...args: string[]) => {
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const { NO_COLOR: _n, FORCE_COLOR: _f, ...base } = process.env;
    return spawnSync(
      'script',
      ['-qec', `${process.execPath} ${CLI} ${args.join(' ')} --out ${out}`, '/dev/null'],
      {
        encoding: 'utf8',
        env: { ...base, CI: '', TERM: 'xterm', ...env },
      },
    );
  };
  const ESC = '\x1b[';

  it('outcomes are coloured on a terminal', () => {
    const r = onTerminal({}, 'run', 'default');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${ESC}32mcaptured${ESC}0m ${ESC}32mok${ESC}0m`);
  });

  it('never with NO_COLOR, nor when piped', () => {
    const r = onTerminal({ NO_COLOR: '1' }, 'run', 'default');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('default: captured ok');
    expect(r.stdout).not.toContain(ESC);
    const out = join(mkdtempSync(join(tmpdir(), 'fadump-cli-')), 'out');
    const piped = cli('explain', 'default', '--out', out);
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toContain(ESC);
    expect(piped.stdout).toContain('== What happened, in order');
  });
});

describe('fadump-sim vmlinux', () => {
  it('writes the vmlinux run writes beside a dump of that kernel, and refuses a path it cannot write', () => {
    const d = mkdtempSync(join(tmpdir(), 'fadump-cli-'));
    expect(cli('run', '--out', join(d, 'run'), '--kernel', '6.10', '--endian', 'be').code).toBe(0);
    const file = join(d, 'vmlinux-6.10-be');
    const r = cli('vmlinux', file, '--kernel', '6.10', '--endian', 'be');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `wrote ${file}: the vmlinux of Linux 6.10.0-fadump-sim (ppc64), symbols and DWARF for crash and gdb\n`,
    );
    expect(readFileSync(file).equals(readFileSync(join(d, 'run', 'vmlinux')))).toBe(true);
    // Another release is another file.
    expect(cli('vmlinux', join(d, 'v6.15'), '--kernel', '6.15', '--endian', 'be').code).toBe(0);
    expect(readFileSync(join(d, 'v6.15')).equals(readFileSync(file))).toBe(false);
    const bad = cli('vmlinux', join(d, 'missing', 'vmlinux'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `fadump-sim: error: ${join(d, 'missing', 'vmlinux')}: cannot write: no such file or directory (ENOENT)\n`,
    );
    expect(existsSync(join(d, 'missing'))).toBe(false);
  });
});
