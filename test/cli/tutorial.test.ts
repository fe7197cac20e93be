// docs/tutorial.md stays true: every `$ fadump-sim ...` command in its console blocks runs (in a
// fresh directory holding the tutorial's files) with the exit status it states, and every output
// line quoted under it appears in the real output, in order (a `…` line stands for lines left out).
// It starts where a newcomer does: right after the README's `npm start`, which leaves `out/`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/tools.ts';

const CLI = join(REPO, 'dist', 'cli.mjs');
const text = readFileSync(join(REPO, 'docs', 'tutorial.md'), 'utf8');

interface Step {
  args: string[];
  status: number;
  expect: string[];
}

const files = [...text.matchAll(/```yaml file=(\S+)\n([\s\S]*?)```/g)].map((m) => ({
  name: m[1]!,
  body: m[2]!,
}));
const steps: Step[] = [];
for (const block of text.matchAll(/```console\n([\s\S]*?)```/g)) {
  for (const line of block[1]!.split('\n')) {
    const cmd = /^\$ fadump-sim (.*?)(?:\s+# exits (\d+))?$/.exec(line);
    if (cmd) steps.push({ args: cmd[1]!.split(/\s+/), status: Number(cmd[2] ?? 0), expect: [] });
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

  for (const [i, s] of steps.entries()) {
    it(`${i + 1}: fadump-sim ${s.args.join(' ')}`, () => {
      const r = spawnSync(process.execPath, [CLI, ...s.args], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(s.status);
      const lines = r.stdout.split('\n');
      let at = 0;
      for (const want of s.expect) {
        const found = lines.indexOf(want, at);
        expect(found, `output line not found (in order): ${want}`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    });
  }
});
