// Hostile input files: scenario YAML that is garbage, deeply nested, an alias bomb, full of huge or
// negative numbers, or a real scenario damaged byte by byte; ELF cores, kdump-compressed dumps and
// device tree blobs cut short or corrupted. Every one must end in the tool's own error (ScenarioError, ConfigError,
// DumpFileError, DtbError) — one line, no stack trace — or be read correctly, within bounded time.

import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DumpFileError } from '../dump/dump-reader.ts';
import { withDump } from '../dump/formats.ts';
import { SeededRng } from '../emulator/clock.ts';
import { DtbError, decodeDtb } from '../emulator/dtb.ts';
import { ConfigError } from '../emulator/memory-blocks.ts';
import { FDT_ADDR } from '../firmware/rtas/pseries-firmware.ts';
import { Scenario } from '../scenarios/builder.ts';
import { libraryScenarios } from '../scenarios/library.ts';
import { validateRunOptions } from '../scenarios/run-checks.ts';
import type { RunOptions } from '../scenarios/run-options.ts';
import { parseScenario, ScenarioError, toBuilder } from '../scenarios/scenario-file.ts';

export interface HostileReport {
  files: number;
  /** What each file ended in: accepted, or the error class that refused it. */
  outcomes: Record<string, number>;
  /** Anything else: an exception of another kind, a multi-line message, a message without a position. */
  violations: string[];
  /** The slowest file, ms. */
  slowestMs: number;
}

const pick = <T>(rng: SeededRng, xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)]!;

/** One hostile scenario text: from a family chosen by the generator. */
function hostileScenario(rng: SeededRng, library: readonly string[]): string {
  const base = pick(rng, library);
  switch (rng.int(0, 9)) {
    case 0: {
      // Random bytes, printable or not.
      return Array.from({ length: rng.int(0, 400) }, () => String.fromCharCode(rng.int(0, 255))).join('');
    }
    case 1: {
      const depth = rng.int(100, 5000);
      return `steps: ${'['.repeat(depth)}boot${']'.repeat(rng.int(0, 1) ? depth : depth - 1)}\n`;
    }
    case 2: {
      // A billion-laughs alias bomb.
      const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < rng.int(3, 12); i++)
        lines.push(
          `${'abcdefghijkl'[i]}: &${'abcdefghijkl'[i]} [${Array(10)
            .fill(`*${'abcdefghijkl'[i - 1]}`)
            .join(', ')}]`,
        );
      return `${lines.join('\n')}\nsteps: [boot, crash: {}]\n`;
    }
    case 3: {
      const n = pick(rng, [
        '1e400',
        '-1',
        '-8G',
        '0',
        '99999999999999999999999',
        '0x1ffffffffffffffff',
        'NaN',
        '.inf',
        '8.5G',
        '1T',
      ]);
      const key = pick(rng, ['memory', 'lmbSize', 'cpus', 'smt', 'seed', 'bootMemRegions', 'cycles']);
      return `machine: { ${key}: ${n} }\nsteps: [boot, { hotAdd: ${pick(rng, ['-3', '1e9', '0', '2'])} }, { crash: { cpu: ${pick(rng, ['-1', '4096', '3'])} } }]\n`;
    }
    case 4:
      return base.slice(0, rng.int(0, base.length));
    case 5: {
      const at = rng.int(0, base.length);
      const junk = pick(rng, [
        '\t',
        '\0',
        ': :',
        '- - -',
        '{',
        '}',
        '[',
        '&x',
        '*x',
        '!!binary',
        '%YAML 9.9',
        '---',
        '\u2028',
        '\uFEFF',
        '"',
        "'",
      ]);
      return base.slice(0, at) + junk + base.slice(at);
    }
    case 6:
      return `${base}\n${'x'.repeat(rng.int(1000, 200000))}: 1\n`;
    case 7:
      return base.replace(/steps:/, pick(rng, ['steps: null', 'steps: {}', 'steps: "boot"', 'stepz:']));
    default: {
      const b = [...base];
      for (let n = rng.int(1, 6); n > 0 && b.length > 0; n--)
        b[rng.int(0, b.length - 1)] = String.fromCharCode(rng.int(32, 126));
      return b.join('');
    }
  }
}

function record(r: HostileReport, outcome: string): void {
  r.outcomes[outcome] = (r.outcomes[outcome] ?? 0) + 1;
}

/** `count` hostile scenario files through the parser and the run-option checks. */
export function hostileScenarios(seed: number, count: number): HostileReport {
  const rng = new SeededRng(seed);
  const library = libraryScenarios().map((s) => readFileSync(s.file, 'utf8'));
  const r: HostileReport = { files: 0, outcomes: {}, violations: [], slowestMs: 0 };
  for (let i = 0; i < count; i++) {
    const text = hostileScenario(rng, library);
    const t0 = performance.now();
    r.files++;
    try {
      const s = parseScenario(text, 'hostile.yaml');
      validateRunOptions(toBuilder(s).toOptions());
      record(r, 'accepted');
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof ScenarioError) {
        record(r, 'ScenarioError');
        if (!/^hostile\.yaml:\d+:\d+: /.test(msg))
          r.violations.push(`file ${i}: no file:line:column in "${msg}"`);
      } else if (e instanceof ConfigError) record(r, 'ConfigError');
      else r.violations.push(`file ${i}: ${(e as Error).constructor.name}: ${msg.split('\n')[0]}`);
      if (msg.includes('\n')) r.violations.push(`file ${i}: a message of several lines`);
    }
    r.slowestMs = Math.max(r.slowestMs, performance.now() - t0);
  }
  return r;
}

/** Real dump files and a device tree blob to damage. */
export interface SampleInputs {
  /** The first 256 KiB of an ELF vmcore: ELF header, program headers, notes. */
  core: Uint8Array;
  /** A whole kdump-compressed dump at dump level 31 (headers, notes, bitmaps, descriptors, pages). */
  kdump: Uint8Array;
  /** The device tree blob firmware left in memory. */
  dtb: Uint8Array;
}

/** Real inputs to damage, from runs of the default machine with 1 GiB. */
export async function sampleInputs(): Promise<SampleInputs> {
  const dir = mkdtempSync(join(tmpdir(), 'fadump-hostile-src-'));
  try {
    const build = (o: Partial<RunOptions> = {}) =>
      Scenario.create({ memory: 2 ** 30, ...o })
        .boot()
        .crashAt();
    const run = await build().run(join(dir, 'elf'));
    const fd = openSync(run.captures[0]!.path, 'r');
    const core = new Uint8Array(256 * 1024);
    readSync(fd, core, 0, core.length, 0);
    closeSync(fd);
    const head = run.machine.memory.peek(FDT_ADDR, 8);
    const dtb = run.machine.memory.peek(FDT_ADDR, new DataView(head.buffer, head.byteOffset).getUint32(4));
    const kd = await build({ dump: { format: 'kdump', level: 31 } }).run(join(dir, 'kdump'));
    return { core, kdump: new Uint8Array(readFileSync(kd.captures[0]!.path)), dtb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Kind = keyof SampleInputs;

/** Where damage does the most: headers for the dumps (a kdump file's sub header sits at 64 KiB). */
function target(rng: SeededRng, kind: Kind, length: number): number {
  if (rng.int(0, 1)) return rng.int(0, length - 1);
  const at = kind === 'kdump' && rng.int(0, 1) ? 0x10000 : 0;
  return Math.min(length - 1, at + rng.int(0, 511));
}

/** `count` damaged copies of real dump files and a real DTB through the readers `inspect` uses. */
export function hostileCores(seed: number, count: number, inputs: SampleInputs): HostileReport {
  const rng = new SeededRng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'fadump-hostile-'));
  const r: HostileReport = { files: 0, outcomes: {}, violations: [], slowestMs: 0 };
  const kinds: Kind[] = ['core', 'kdump', 'dtb'];
  try {
    for (let i = 0; i < count; i++) {
      const kind = pick(rng, kinds);
      const src = inputs[kind];
      let bytes = src.slice(0, rng.int(0, 3) === 0 ? rng.int(0, src.length) : src.length);
      for (let n = rng.int(0, 12); n > 0 && bytes.length > 0; n--)
        bytes[target(rng, kind, bytes.length)] = rng.int(0, 1) ? rng.int(0, 255) : 0xff;
      if (rng.int(0, 9) === 0)
        bytes = Buffer.concat([bytes, Uint8Array.from({ length: rng.int(1, 4096) }, () => rng.int(0, 255))]);
      const t0 = performance.now();
      r.files++;
      try {
        if (kind === 'dtb') decodeDtb(bytes);
        else {
          const path = join(dir, kind);
          writeFileSync(path, bytes);
          withDump(path, kind === 'core' ? 'elf' : 'kdump', (d) => {
            // A word of every page the file describes: each page it holds is decoded.
            const P = d.contents.granule;
            for (const l of kind === 'kdump' ? d.contents.loads : [])
              for (let at = l.paddr; at < l.paddr + l.size; at += P) d.read(at, 8);
          });
        }
        record(r, 'read');
      } catch (e) {
        const msg = (e as Error).message;
        if (e instanceof DumpFileError || e instanceof DtbError)
          record(r, `${kind} ${(e as Error).constructor.name}`);
        else
          r.violations.push(`file ${i} (${kind}): ${(e as Error).constructor.name}: ${msg.split('\n')[0]}`);
        if (msg.includes('\n')) r.violations.push(`file ${i} (${kind}): a message of several lines`);
      }
      r.slowestMs = Math.max(r.slowestMs, performance.now() - t0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}
