// What the project's pages cite resolves in the project: every structure the report and the lab
// show names its layout as a docs/structures.md anchor that exists and its upstream source, and no
// page, doc or output points at a file the project does not contain.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportHtml } from '../../scenarios/outputs.ts';
import { headingAnchor, playerSteps } from '../../scenarios/report.ts';
import { DEFAULT_RUN, type RunOptions, runScenario } from '../../scenarios/run.ts';
import { parseScenario, toBuilder } from '../../scenarios/scenario-file.ts';
import { printedBy, UPSTREAM } from '../../scenarios/upstream.ts';
import { REPO } from '../support/tools.ts';

/** The anchors of docs/structures.md's headings, as GitHub makes them. */
const anchors = new Set(
  readFileSync(join(REPO, 'docs', 'structures.md'), 'utf8')
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => headingAnchor(l.replace(/^#+ /, ''))),
);

async function citations(o: RunOptions): Promise<{ cite: string; source: string }[]> {
  const html = reportHtml(o, await runScenario(o, null));
  return [
    ...html.matchAll(/<p class="cite">Layout: <cite data-cite="([^"]+)">[^<]*<\/cite>, from ([^<]+)\.<\/p>/g),
  ].map((m) => ({ cite: m[1]!, source: m[2]! }));
}

describe('citations', () => {
  it('GitHub anchors: lower case, hyphens for spaces, no other punctuation', () => {
    expect(headingAnchor('regsave_header (PAPR)')).toBe('regsave_header-papr');
    expect(headingAnchor('fadump_crash_info_header (old)')).toBe('fadump_crash_info_header-old');
    expect(headingAnchor('Elf64_Ehdr')).toBe('elf64_ehdr');
    expect(anchors.has('rtas_fadump_section_header')).toBe(true);
  });

  for (const [name, o] of [
    ['pSeries, Linux 6.9', { ...DEFAULT_RUN, kernel: 'legacy', captureKernel: 'legacy' }],
    ['pSeries, QEMU firmware', { ...DEFAULT_RUN, firmware: 'qemu' }],
    ['PowerNV', { ...DEFAULT_RUN, platform: 'powernv' }],
  ] as [string, RunOptions][])
    it(`every structure of a ${name} report cites an anchor docs/structures.md has, and its source`, async () => {
      const cited = await citations(o);
      expect(cited.length).toBeGreaterThanOrEqual(3);
      const missing = cited.filter((c) => !anchors.has(c.cite.replace(/^docs\/structures\.md#/, '')));
      expect(missing).toEqual([]);
      for (const c of cited)
        expect(c.source).toMatch(/Linux|LoPAR|PAPR|QEMU|skiboot|ELF|makedumpfile|hostboot/);
    });

  it("the player's steps and the consoles' lines cite upstream functions docs/upstream.md lists with their files, every one of them", async () => {
    const library = (name: string) =>
      toBuilder(
        parseScenario(readFileSync(join(REPO, 'scenarios', 'library', `${name}.yaml`), 'utf8'), name),
      ).toOptions();
    const runs: RunOptions[] = [
      { ...DEFAULT_RUN, kernel: 'legacy', captureKernel: 'legacy', hotplug: { add: 2, remove: 1 } },
      { ...DEFAULT_RUN, hotplug: { add: 1 } },
      library('dump-after-nmi'),
      library('corrupted-header-refused'),
      library('powernv-mpipl'),
      library('legacy-crash-in-reregistration-window'),
      toBuilder(
        parseScenario(
          'machine: { platform: powernv }\nsteps:\n  - boot\n  - unregister\n  - register\n  - crash: {}\n',
          'powernv-unregister',
        ),
      ).toOptions(),
      // Before 6.10, a damaged header is refused by each platform's own check.
      ...['pseries', 'powernv'].map((platform) =>
        toBuilder(
          parseScenario(
            `machine: { platform: ${platform}, kernel: legacy }\nsteps:\n  - boot\n  - crash: { cpu: 1 }\n  - corrupt: { struct: crash-info-header, field: magic_number, value: 0 }\n`,
            `${platform}-legacy-refused`,
          ),
        ).toOptions(),
      ),
    ];
    const doc = readFileSync(join(REPO, 'docs', 'upstream.md'), 'utf8');
    const cited = new Set<string>();
    const uncited: string[] = [];
    for (const o of runs) {
      const r = await runScenario(o, null);
      // Every fadump line of both consoles names the function that prints it.
      for (const c of r.summary.cycles)
        for (const line of [...c.console.crashed, ...c.console.capture]) {
          const fn = printedBy(line);
          if (fn) {
            cited.add(fn);
            expect(doc).toContain(`| \`${fn}()\` | \`${UPSTREAM[fn].file}\` |`);
          } else if (/^\[[^\]]*\] (fadump|rtas fadump|opal fadump|pseries-hotplug-mem): /.test(line))
            uncited.push(line);
        }
      for (const step of playerSteps(r.machine.events.events, r.maps)) {
        for (const m of step.from?.matchAll(/(Linux|skiboot) (\w+)\(\) \(([^)]+)\)/g) ?? []) {
          cited.add(m[2]!);
          // The doc lists it with the same project and file.
          expect(doc).toContain(`| \`${m[2]}()\` | \`${m[3]}\` |`);
          expect(doc).toContain(`## ${m[1]}`);
        }
      }
    }
    expect(uncited).toEqual([]);
    expect([...Object.keys(UPSTREAM)].filter((n) => !cited.has(n))).toEqual([]);
  });

  it('no doc, page or bundled output names a file outside the project', () => {
    const texts: [string, string][] = [
      ['README.md', readFileSync(join(REPO, 'README.md'), 'utf8')],
      ...readdirSync(join(REPO, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => [`docs/${f}`, readFileSync(join(REPO, 'docs', f), 'utf8')] as [string, string]),
      ['lab/index.html', readFileSync(join(REPO, 'lab', 'index.html'), 'utf8')],
      ['dist/lab/lab.js', readFileSync(join(REPO, 'dist', 'lab', 'lab.js'), 'utf8')],
      ['dist/cli.mjs', readFileSync(join(REPO, 'dist', 'cli.mjs'), 'utf8')],
    ];
    const outside = texts.flatMap(([file, text]) =>
      [...text.matchAll(/\.\.\/shared|spec\/(?:kernel|firmware|vmcore)\.md|seed-commit\.txt/g)].map(
        (m) => `${file}: ${m[0]}`,
      ),
    );
    expect(outside).toEqual([]);
  });
});
