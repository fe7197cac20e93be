// Scenario files (issue 6): the built-in library passes its own expectations; malformed files get
// one file:line:column message; files mirror the builder one to one.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scenario } from '../../../scenarios/builder.ts';
import { checkExpectations } from '../../../scenarios/expectations.ts';
import { libraryScenarios } from '../../../scenarios/library.ts';
import { parseScenario, ScenarioError, toBuilder } from '../../../scenarios/scenario-file.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'fadump-sf-'));

describe('built-in scenario library', () => {
  const all = libraryScenarios();
  it('has at least 12 scenarios, each with a description', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    for (const s of all) expect(s.description.length).toBeGreaterThan(20);
  });
  for (const s of all) {
    it(`${s.name} meets its own expectations`, async () => {
      const scenario = parseScenario(readFileSync(s.file, 'utf8'), s.file);
      expect(scenario.expect).toBeDefined();
      const { summary } = await toBuilder(scenario).run(dir());
      expect(checkExpectations(scenario, summary.cycles.at(-1)!)).toEqual([]);
    });
  }
});

describe('scenario files mirror the builder', () => {
  it('a file and the same builder calls give the same run options', () => {
    const file = parseScenario(
      [
        'machine: { memory: 2G, kernel: legacy, udev: true }'.replace(', udev: true', ''),
        'udev: { latency: 1ms, perEvent: 50ms }',
        'steps:',
        '  - boot',
        '  - hotAdd: 3',
        '  - hotRemove: { drc: [2147483653] }',
        '  - offline: 1',
        '  - crash: { cpu: 2, atEvent: 2 }',
      ].join('\n'),
      'x.yaml',
    );
    const built = Scenario.create({
      memory: 2 * 2 ** 30,
      kernel: 'legacy',
      udevTiming: { latencyNs: 1_000_000n, perEventNs: 50_000_000n },
    })
      .boot()
      .hotAdd(3)
      .hotRemove({ drc: [2147483653] })
      .offline(1)
      .crashAt({ cpu: 2, event: 2 });
    expect(toBuilder(file).toOptions()).toEqual(built.toOptions());
  });

  it('and so do the timing, registration, NMI and dump verbs', () => {
    const file = parseScenario(
      [
        'steps:',
        '  - boot',
        '  - hotAdd: { count: 4, interval: 20ms }',
        '  - hotAdd: { drc: { first: 0x80000030, count: 3, stride: 2 }, interval: 1ms }',
        '  - unregister',
        '  - wait: 0.5s',
        '  - register',
        '  - offline: { count: 2, interval: 5us }',
        '  - nmi: { cpu: 4 }',
        '  - corrupt: { struct: rtas-dump-section, entry: 2, field: bytes_dumped, value: "0x10000000000000001" }',
        '  - release',
        '  - unregister',
      ].join('\n'),
      'x.yaml',
    );
    const built = Scenario.create()
      .boot()
      .hotAdd(4, { interval: 20_000_000n })
      .hotAdd({ drc: [0x80000030, 0x80000032, 0x80000034] }, { interval: 1_000_000n })
      .unregister()
      .wait(500_000_000n)
      .register()
      .offline(2, { interval: 5_000n })
      .nmi({ cpu: 4 })
      .corrupt({ struct: 'rtas-dump-section', entry: 2, field: 'bytes_dumped', value: 0x10000000000000001n })
      .release()
      .unregister();
    expect(toBuilder(file).toOptions()).toEqual(built.toOptions());
    expect(built.toOptions()).toMatchObject({
      crashKind: 'nmi',
      crashCpu: 4,
      afterCapture: ['release', 'unregister'],
    });
  });
});

describe('expectations', () => {
  it('each one that does not hold is named with what was expected and what happened', async () => {
    const s = parseScenario(
      [
        'steps: [boot, { crash: { cpu: 1 } }]',
        'expect:',
        '  dump: refused',
        '  reason: header',
        '  reRegistrations: 2',
        '  crash: { cpu: 2, kind: nmi, trap: 0x100 }',
        '  console: ["no such line"]',
        '  ranges: [{ start: 0, size: 256M }]',
        '  elfcorehdrOverflow: true',
        '  verify: { missingBytes: 1 }',
      ].join('\n'),
      'x.yaml',
    );
    const { summary } = await toBuilder(s).run(dir());
    expect(checkExpectations(s, summary.cycles[0]!)).toEqual([
      'dump: expected refused, got captured',
      'reason: expected "header", got ""',
      'crash.cpu: expected 2, got 1',
      'crash.kind: expected nmi, got panic',
      'crash.trap: expected 0x100, got 0x300',
      'reRegistrations: expected 2, got 0',
      'console: no line "no such line"',
      'ranges: expected 0x0+10000000, got 0x0+14000000 0x280102a8+1d7fefd58',
      'elfcorehdrOverflow: expected true, got 0 bytes',
      'verify.missingBytes: expected 1, got 0',
    ]);
  });
});

describe('malformed scenario files', () => {
  const cases: [string, string, RegExp][] = [
    ['YAML syntax', 'steps: [boot, crash: {}\nexpect: {}\n', /^bad\.yaml:\d+:\d+: /],
    [
      'a wrong type',
      'machine:\n  cpus: eight\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:2:9: Invalid input: expected number, received string \(at machine\.cpus\)/,
    ],
    [
      'an unknown key',
      'machine:\n  memroy: 2G\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:2:3: Unrecognized key: "memroy"|^bad\.yaml:\d+:\d+: .*memroy/,
    ],
    [
      'a size that is not a size',
      'machine: { memory: lots }\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:1:20: .*(size|Invalid)/,
    ],
    ['an unknown step', 'steps:\n  - boot\n  - reboot\n  - crash: {}\n', /^bad\.yaml:3:5: /],
    [
      'no boot first',
      'steps:\n  - hotAdd: 1\n  - crash: {}\n',
      /^bad\.yaml:2:5: the first step must be boot/,
    ],
    [
      'no crash',
      'steps:\n  - boot\n  - hotAdd: 1\n',
      /^bad\.yaml:3:5: a scenario has one crash or nmi step \(it has 0\)$/,
    ],
    [
      'two crashes',
      'steps:\n  - boot\n  - crash: {}\n  - nmi: {}\n',
      /^bad\.yaml:4:5: a scenario has one crash or nmi step \(it has 2\)$/,
    ],
    [
      'a memory event after the crash',
      'steps:\n  - boot\n  - crash: {}\n  - hotAdd: 2\n',
      /^bad\.yaml:4:5: after the crash only corrupt, release, register, unregister may follow, not hotAdd$/,
    ],
    [
      'corrupt before the crash',
      'steps:\n  - boot\n  - corrupt: { struct: regsave-header, field: magic, value: 0 }\n  - crash: {}\n',
      /^bad\.yaml:3:5: corrupt acts on the dump, so it comes after the crash$/,
    ],
    [
      'release before the crash',
      'steps:\n  - boot\n  - release\n  - crash: {}\n',
      /^bad\.yaml:3:5: release acts on the dump, so it comes after the crash$/,
    ],
    [
      'a field the structure does not have',
      'steps:\n  - boot\n  - crash: {}\n  - corrupt: { struct: regsave-header, field: magik, value: 0 }\n',
      /^bad\.yaml:4:5: regsave-header has no field magik; its fields: magic, version, num_cpus_offset, padding, num_cpus$/,
    ],
    [
      'a structure that does not exist',
      'steps:\n  - boot\n  - crash: {}\n  - corrupt: { struct: elf-header, field: e_type, value: 0 }\n',
      /^bad\.yaml:4:\d+: .*(crash-info-header|expected one of).*\(at steps\.2/,
    ],
    [
      'a structure of the other platform',
      'machine: { platform: powernv }\nsteps:\n  - boot\n  - crash: {}\n  - corrupt: { struct: regsave-header, field: magic, value: 0 }\n',
      /^bad\.yaml:1:10: corrupt regsave-header is not a powernv structure: crash-info-header, opal-metadata, mdst-entry, mdrt-entry$/,
    ],
    [
      'an interval that is not a duration',
      'steps:\n  - boot\n  - hotAdd: { count: 4, interval: fast }\n  - crash: {}\n',
      /^bad\.yaml:3:\d+: .*duration such as 5ms.*\(at steps\.1/,
    ],
    [
      'a name that would leave the output directory',
      'name: ../../etc\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:1:7: lower-case words joined by hyphens \(at name\)$/,
    ],
    [
      'a misspelt verb',
      'steps:\n  - boot\n  - hotAd: 2\n  - crash: {}\n',
      /^bad\.yaml:3:5: unknown step "hotAd" \(did you mean hotAdd\?\): one of boot, hotAdd, hotRemove, offline, online, register, unregister, bootargsAppend, wait, crash, nmi, corrupt, release \(at steps\.1\)$/,
    ],
    [
      'a verb that takes a value, written as a word',
      'steps: [boot, crash]\n',
      /^bad\.yaml:1:15: crash takes a value: write "- crash: \{\}" \(or "- crash: \{ cpu: 2 \}"\); see docs\/scenarios\.md \(at steps\.1\)$/,
    ],
    [
      'a step that is no step',
      'steps: [boot, [1], crash: {}]\n',
      /^bad\.yaml:1:15: a step is a word \(boot, register, unregister, release\) or a map with one verb and its value/,
    ],
    [
      'two verbs in one step',
      'steps: [boot, { hotAdd: 1, offline: 1 }, crash: {}]\n',
      /^bad\.yaml:1:15: a step has one verb, this one has 2 \(hotAdd, offline\): write each as its own "- " item \(at steps\.1\)$/,
    ],
    [
      'a size with no unit',
      'machine: { memory: 8 }\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:1:20: 8 bytes is too small to be meant: add a unit, as in 8G or 8M \(at machine\.memory\)$/,
    ],
    [
      'a duration with no unit',
      'udev: { perEvent: 200 }\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:1:19: 200 needs a unit: a duration such as 200ms \(at udev\.perEvent\)$/,
    ],
    [
      'a corrupt value that is not an integer',
      'steps:\n  - boot\n  - crash: {}\n  - corrupt: { struct: regsave-header, field: magic, value: "x12" }\n',
      /^bad\.yaml:4:\d+: .*\(at steps\.2/,
    ],
    [
      'a duplicate key',
      'machine: { cpus: 2, cpus: 4 }\nsteps: [boot, crash: {}]\n',
      /^bad\.yaml:1:\d+: .*[Mm]ap keys must be unique/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`${what}: one file:line:column message`, () => {
      expect(() => parseScenario(text, 'bad.yaml')).toThrow(ScenarioError);
      expect(() => parseScenario(text, 'bad.yaml')).toThrow(message);
    });
  }

  it('a YAML alias bomb is refused, not expanded', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'steps: [boot, crash: {}]',
    ].join('\n');
    expect(() => parseScenario(bomb, 'bomb.yaml')).toThrow(/^bomb\.yaml:1:1: .*[Aa]lias/);
  });
});

describe('README', () => {
  it('lists every built-in scenario', async () => {
    const { REPO } = await import('../../support/tools.ts');
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    for (const s of libraryScenarios())
      expect(readme).toContain(`| \`${s.name}\` | ${s.dump} | ${s.description} |`);
  });
});

describe('impossible machines in scenario files', () => {
  it('are reported at the key or step they are about, in the file words', () => {
    const text = 'description: x\nmachine:\n  memory: 512M\nsteps: [boot, crash: {}]\n';
    expect(() => parseScenario(text, 'small.yaml')).toThrow(
      /^small\.yaml:3:11: memory 512M is smaller than fadump needs/,
    );
    // The CPU number itself, on its own line.
    const cpu = 'machine: { cpus: 4 }\nsteps: [boot, crash: { cpu: 9 }]\n';
    expect(() => parseScenario(cpu, 'cpu.yaml')).toThrow(/^cpu\.yaml:2:29: crash\.cpu 9 does not exist/);
    const lmb = 'machine: { lmbSize: 100M }\nsteps: [boot, crash: {}]\n';
    expect(() => parseScenario(lmb, 'lmb.yaml')).toThrow(
      /^lmb\.yaml:1:21: lmbSize 100M must be a power of two/,
    );
  });

  it('refuse requests that cannot happen, at the step, never naming a command-line flag', () => {
    const drc = 'steps:\n  - boot\n  - hotAdd: { drc: [40, 42] }\n  - crash: {}\n';
    expect(() => parseScenario(drc, 'drc.yaml')).toThrow(
      /^drc\.yaml:3:5: hotAdd DRC index 40 \(0x28\) is no LMB's: LMB DRC indexes start at 0x80000000/,
    );
    const assigned = 'steps:\n  - boot\n  - hotAdd: { drc: [0x80000003] }\n  - crash: {}\n';
    expect(() => parseScenario(assigned, 'a.yaml')).toThrow(
      /^a\.yaml:3:5: hotAdd DRC index 0x80000003 is assigned already/,
    );
    const gone = 'steps:\n  - boot\n  - hotRemove: { drc: [0x80001000] }\n  - crash: {}\n';
    expect(() => parseScenario(gone, 'g.yaml')).toThrow(
      /^g\.yaml:3:5: hotRemove DRC index 0x80001000 is no LMB of this partition/,
    );
    const event = 'steps:\n  - boot\n  - crash: { atEvent: 2 }\n';
    expect(() => parseScenario(event, 'e.yaml')).toThrow(
      /^e\.yaml:3:23: crash\.atEvent 2: there are no memory events before the crash to crash in$/,
    );
    const qemu = 'machine: { platform: powernv, firmware: qemu, memory: 4G }\nsteps: [boot, crash: {}]\n';
    expect(() => parseScenario(qemu, 'q.yaml')).toThrow(
      /^q\.yaml:1:41: firmware qemu is a pSeries firmware; powernv runs skiboot/,
    );
    for (const bad of [drc, assigned, gone, event, qemu]) {
      try {
        parseScenario(bad, 'x.yaml');
      } catch (e) {
        expect((e as Error).message).not.toMatch(/--[a-z]/);
      }
    }
  });
});

describe('units', () => {
  it('a scenario file takes sizes as the command line does (2GB, 2GiB, 2G)', () => {
    for (const memory of ['2G', '2GB', '2GiB', '2048M']) {
      const s = parseScenario(`machine: { memory: ${memory} }\nsteps: [boot, crash: {}]\n`, 'u.yaml');
      expect(toBuilder(s).toOptions().memory).toBe(2 ** 31);
    }
  });
});
