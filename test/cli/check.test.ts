// `fadump-sim check`: campaigns on worker threads, shards that partition the cases, an injected
// fault found, shrunk and written as a scenario file that `run` replays; bad options exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const cli = (...args: string[]) => cliIn({}, ...args);
/** The CLI with these environment variables set (and every shard variable of the host unset). */
const cliIn = (env: Record<string, string>, ...args: string[]) => {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['JOB_COMPLETION_INDEX', 'JOB_COMPLETIONS', 'CI_NODE_INDEX', 'CI_NODE_TOTAL'])
    delete base[k];
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...base, ...env },
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
        cli('check', 'mutation-safe', '--runs', '12', '--seed', '8', '--json', '--out', tmp(), ...a).stdout,
      ) as Report[];
    const whole = run()[0]!;
    const halves = [run('--shard', '1/2')[0]!, run('--shard', '2/2', '--workers', '2')[0]!];
    expect(halves.map((h) => h.cases)).toEqual([6, 6]);
    const merged: Record<string, number> = {};
    for (const h of halves) for (const [k, v] of Object.entries(h.outcomes)) merged[k] = (merged[k] ?? 0) + v;
    expect(merged).toEqual(whole.outcomes);
  });

  it('four --shard auto processes of a Kubernetes Indexed Job, merged, report what one process reports', () => {
    const campaign = ['check', 'resilient-exact', 'mutation-safe', '--runs', '10', '--seed', '4', '--json'];
    const dirs = [0, 1, 2, 3].map((k) => {
      const out = tmp();
      const r = cliIn(
        { JOB_COMPLETION_INDEX: String(k), JOB_COMPLETIONS: '4' },
        ...campaign,
        '--shard',
        'auto',
        '--out',
        out,
      );
      expect(r.code, r.stderr).toBe(0);
      // Kubernetes counts from 0, shards from 1.
      expect(readdirSync(out)).toEqual([`shard-${k + 1}-of-4.json`]);
      expect((JSON.parse(r.stdout) as Report[]).map((p) => p.cases)).toEqual(k < 2 ? [3, 3] : [2, 2]);
      return out;
    });
    const merged = cli('check', 'merge', ...dirs, '--json', '--out', tmp());
    expect(merged.code, merged.stderr).toBe(0);
    const whole = cli(...campaign, '--out', tmp());
    expect(merged.stdout).toBe(whole.stdout);
    expect((JSON.parse(whole.stdout) as Report[]).map((p) => p.cases)).toEqual([10, 10]);

    // GitLab's parallel jobs and a CI matrix (1-based) name the same shards.
    for (const env of <Record<string, string>[]>[
      { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4' },
      { FADUMP_SIM_SHARD_INDEX: '2', FADUMP_SIM_SHARD_TOTAL: '4' },
      { JOB_COMPLETION_INDEX: '1' },
    ]) {
      const out = tmp();
      const count = 'JOB_COMPLETION_INDEX' in env ? 'auto/4' : 'auto';
      const r = cliIn(env, ...campaign, '--shard', count, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(out, 'shard-2-of-4.json'), 'utf8')).toBe(
        readFileSync(join(dirs[1]!, 'shard-2-of-4.json'), 'utf8'),
      );
    }

    // Shard sets that are not one campaign whole: one line each, exit 2.
    const other = tmp();
    cliIn(
      { JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '4' },
      ...campaign.map((a) => (a === '4' ? '5' : a)),
      '--shard',
      'auto',
      '--out',
      other,
    );
    const overlap = tmp();
    const second = JSON.parse(readFileSync(join(dirs[1]!, 'shard-2-of-4.json'), 'utf8'));
    const first = JSON.parse(readFileSync(join(dirs[0]!, 'shard-1-of-4.json'), 'utf8'));
    second.results['resilient-exact'].push(first.results['resilient-exact'][0]);
    writeFileSync(join(overlap, 'shard-2-of-4.json'), JSON.stringify(second));
    for (const [given, message] of [
      [[dirs[0]!, dirs[1]!, dirs[2]!], /^fadump-sim: error: shard 4\/4 missing$/],
      [[...dirs, dirs[3]!], /^fadump-sim: error: shard 4\/4 given twice: .* and .*$/],
      [
        [dirs[0]!, dirs[1]!, dirs[2]!, other],
        /shard-4-of-4\.json: another campaign \(seed 5, .*\) than .* \(seed 4, /,
      ],
      [
        [dirs[0]!, overlap, dirs[2]!, dirs[3]!],
        /^fadump-sim: error: resilient-exact case 0 is in two shards: /,
      ],
      [[tmp()], /: no shard results in it/],
    ] as const) {
      const r = cli('check', 'merge', ...given);
      expect(r.code, String(given)).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const none = cliIn({}, 'check', '--shard', 'auto');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--shard auto: no shard index in the environment \(JOB_COMPLETION_INDEX/);
    const noCount = cliIn({ JOB_COMPLETION_INDEX: '0' }, 'check', '--shard', 'auto');
    expect(noCount.stderr).toMatch(/set JOB_COMPLETIONS or give --shard auto\/N/);
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
    [
      'a shard past the count',
      ['--shard', '3/2'],
      '--shard 3/2: expected i/n with 1 <= i <= n, such as 1/4, or auto (JOB_COMPLETION_INDEX/JOB_COMPLETIONS, CI_NODE_INDEX/CI_NODE_TOTAL, FADUMP_SIM_SHARD_INDEX/FADUMP_SIM_SHARD_TOTAL)',
    ],
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
