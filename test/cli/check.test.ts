// `fadump-sim check`: campaigns on worker threads, shards that partition the cases, an injected
// fault found, shrunk and written as a scenario file that `run` replays; bad options exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'fadump-check-cli-'));

interface Report {
  property: string;
  cases: number;
  failures: { case: number; message: string; file?: string }[];
  outcomes: Record<string, number>;
}

describe('fadump-sim check', () => {
  it('runs every property on two workers and says each holds', () => {
    const r = cli('check', '--runs', '6', '--workers', '2', '--seed', '5', '--out', tmp());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const p of ['resilient-exact', 'mutation-safe', 'deterministic'])
      expect(r.stdout).toMatch(new RegExp(`^${p}: 6 cases, ok \\(.*\\); seed 5, shard 1/1$`, 'm'));
  });

  it('shards partition the cases: two halves give what one whole run gives', () => {
    const run = (...a: string[]) =>
      JSON.parse(
        cli('check', 'mutation-safe', '--runs', '12', '--seed', '8', '--json', ...a).stdout,
      ) as Report[];
    const whole = run()[0]!;
    const halves = [run('--shard', '1/2')[0]!, run('--shard', '2/2', '--workers', '2')[0]!];
    expect(halves.map((h) => h.cases)).toEqual([6, 6]);
    const merged: Record<string, number> = {};
    for (const h of halves) for (const [k, v] of Object.entries(h.outcomes)) merged[k] = (merged[k] ?? 0) + v;
    expect(merged).toEqual(whole.outcomes);
  });

  it('finds an injected fault, shrinks it to a few steps, and run replays the failure', () => {
    const out = tmp();
    const r = cli(
      'check',
      'resilient-exact',
      '--runs',
      '30',
      '--seed',
      '1',
      '--workers',
      '2',
      '--out',
      out,
      '--inject-fault',
      'boot-mem-off-by-one',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^resilient-exact: 30 cases, \d+ failed/m);
    const files = readdirSync(out);
    expect(files.length).toBeGreaterThan(0);
    const file = join(out, files[0]!);
    const scenario = parse(readFileSync(file, 'utf8'));
    expect(scenario.steps.length).toBeLessThanOrEqual(4);
    expect(scenario.machine.bootMemRegions).toBeGreaterThanOrEqual(2);
    const replay = cli('run', file, '--out', join(out, 'replay'), '--inject-fault', 'boot-mem-off-by-one');
    expect(replay.code).toBe(1);
    expect(replay.stdout).toMatch(/expectation failed: verify\.missingBytes: expected 0, got [1-9]/);
    const fixed = cli('run', file, '--out', join(out, 'fixed'));
    expect(fixed.code).toBe(0);
  });

  it('finds a CPU note the fadump kernel left out, read back from the vmcore, and run replays it', () => {
    const out = tmp();
    const fault = ['--inject-fault', 'note-cpu-dropped'];
    const r = cli('check', 'resilient-exact', '--runs', '3', '--seed', '1', '--out', out, ...fault);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/vmcore not exact: no note for CPU \d+/);
    const file = join(out, readdirSync(out)[0]!);
    const steps = parse(readFileSync(file, 'utf8')).steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]).toBe('boot');
    const replay = cli('run', file, '--out', join(out, 'replay'), ...fault);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toMatch(/expectation failed: verify\.missingCpus: expected \[\], got \[\d+\]/);
    expect(cli('run', file, '--out', join(out, 'fixed')).code).toBe(0);
  });

  for (const [what, args, message] of [
    ['a shard past the count', ['--shard', '3/2'], '--shard 3/2: expected i/n with 1 <= i <= n, such as 1/4'],
    ['no workers', ['--workers', '0'], '--workers 0 must be 1 to 64'],
    [
      'an unknown property',
      ['no-such'],
      'unknown property no-such: one of resilient-exact, mutation-safe, deterministic',
    ],
    [
      'an unknown fault',
      ['--inject-fault', 'nope'],
      'unknown fault nope: boot-mem-off-by-one, note-wrong-nip, note-cpu-dropped, vmcoreinfo-damaged, capture-throws',
    ],
  ] as const) {
    it(`${what}: exit 2, one line`, () => {
      const r = cli('check', ...args, '--runs', '1', '--out', tmp());
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`fadump-sim: error: ${message}\n`);
      expect(r.stdout).toBe('');
    });
  }

  it('draws a progress bar on a terminal, never when piped', () => {
    const out = tmp();
    const piped = cli('check', 'deterministic', '--runs', '3', '--out', out);
    expect(piped.stderr).toBe('');
    const tty = spawnSync(
      'script',
      ['-qec', `${process.execPath} ${CLI} check deterministic --runs 3 --out ${out}`, '/dev/null'],
      {
        encoding: 'utf8',
        env: { ...process.env, CI: '', NO_COLOR: '1' },
      },
    );
    expect(tty.status).toBe(0);
    expect(tty.stdout).toContain('3/3 deterministic failures 0');
  });
});
