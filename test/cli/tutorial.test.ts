// docs/tutorial.md stays true: every `$ fadump-sim ...` command in its console blocks runs (in a
// fresh directory holding the tutorial's files) with the exit status it states, and every output
// line quoted under it appears in the real output, in order (a `…` line stands for lines left out).
// It starts where a newcomer does: right after the README's `npm start`, which leaves `out/`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tools } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const text = readFileSync(join(REPO, 'docs', 'tutorial.md'), 'utf8');

interface Step {
  args: string[];
  /** A command of another tool (crash, gdb), run by the shell as written. */
  shell?: string;
  status: number;
  expect: string[];
}

// The other tools the tutorial runs, and where they come from here: crash is Debian's ppc64el build
// under qemu-user (scripts/crash-ppc64le), put on PATH under its own name.
const TOOLS: Record<string, () => string | undefined> = { crash: tools.crash, 'gdb-multiarch': tools.gdb };

const files = [...text.matchAll(/```yaml file=(\S+)\n([\s\S]*?)```/g)].map((m) => ({
  name: m[1]!,
  body: m[2]!,
}));
const steps: Step[] = [];
for (const block of text.matchAll(/```console\n([\s\S]*?)```/g)) {
  for (const line of block[1]!.split('\n')) {
    const cmd = /^\$ fadump-sim (.*?)(?:\s+# exits (\d+))?$/.exec(line);
    const other = /^\$ (.*)$/.exec(line);
    if (cmd) steps.push({ args: cmd[1]!.split(/\s+/), status: Number(cmd[2] ?? 0), expect: [] });
    else if (other) steps.push({ args: [], shell: other[1]!, status: 0, expect: [] });
    else if (line.trim() !== '' && line.trim() !== '…') steps.at(-1)!.expect.push(line);
  }
}

describe('docs/tutorial.md', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'fadump-tutorial-'));
  for (const f of files) writeFileSync(join(cwd, f.name), f.body);
  // What `npm start` leaves: the default run in out/.
  spawnSync(process.execPath, [CLI, 'run', '--out', 'out'], { cwd });

  it('cites files that exist, and says how to call fadump-sim in a clone', () => {
    for (const [path] of text.matchAll(/\b(?:test|docs|scenarios)\/[\w./-]+\.(?:ts|md|yaml)\b/g))
      expect(existsSync(join(REPO, path)), path).toBe(true);
    expect(text).toContain('npx fadump-sim');
  });

  it('has commands to check, and starts after npm start has left out/', () => {
    expect(existsSync(join(cwd, 'out', 'vmcore'))).toBe(true);
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(files.map((f) => f.name)).toEqual(['damaged.yaml']);
  });

  // A directory on PATH with the other tools under the names the tutorial uses.
  const bin = join(cwd, '.bin');
  mkdirSync(bin);
  for (const [name, find] of Object.entries(TOOLS)) {
    const path = find();
    if (path) symlinkSync(path, join(bin, name));
  }

  for (const [i, s] of steps.entries()) {
    if (s.shell) {
      const needs = Object.keys(TOOLS).filter((name) => new RegExp(`(^|\\| )${name} `).test(s.shell!));
      it.runIf(needs.every((name) => TOOLS[name]!()))(`${i + 1}: ${s.shell}`, () => {
        expect(needs.length, 'a command of a tool the tutorial test knows').toBeGreaterThan(0);
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', s.shell!], {
          cwd,
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        });
        expect(r.status, r.stderr).toBe(s.status);
        expectLines(r.stdout, s.expect);
      });
      continue;
    }
    it(`${i + 1}: fadump-sim ${s.args.join(' ')}`, () => {
      const r = spawnSync(process.execPath, [CLI, ...s.args], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(s.status);
      expectLines(r.stdout, s.expect);
    });
  }
});

/** Every line quoted appears in the output, in order. */
function expectLines(stdout: string, quoted: readonly string[]): void {
  const lines = stdout.split('\n');
  let at = 0;
  for (const want of quoted) {
    const found = lines.indexOf(want, at);
    expect(found, `output line not found (in order): ${want}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}
