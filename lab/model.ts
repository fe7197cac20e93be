// What the lab does with a scenario, apart from the page: checks the YAML as `fadump-sim run` checks
// a scenario file before it starts (the first problem at its line and column), says when a run is
// too big for a browser tab before it starts, runs it in memory exactly as `fadump-sim run` does but
// for writing files, and hands back the report and the files a run directory would hold, for
// download. Runs in Node too (the unit tests drive it there).

import {
  ConfigError,
  checkExpectations,
  configErrorAt,
  MemoryFile,
  machineConfig,
  parseScenario,
  type RunOptions,
  reportHtml,
  runScenario,
  ScenarioError,
  type ScenarioFile,
  type Summary,
  saveDump,
  toBuilder,
  type Verdict,
  validateRunOptions,
  verdict,
} from '../api/index.ts';

/** The name the lab's editor text goes by in messages. */
export const LAB_FILE = 'scenario.yaml';

/** A problem with the text: where (1-based) and what, and the whole line as `fadump-sim run` prints it. */
export interface LabProblem {
  line: number;
  col: number;
  message: string;
  text: string;
}

export type LabCheck =
  | { ok: true; scenario: ScenarioFile; options: RunOptions }
  | { ok: false; problem: LabProblem };

/** `file:line:col: message` as a problem; one with no position is put at 1:1. */
function problemOf(text: string): LabProblem {
  const m = /^[^:]*:(\d+):(\d+): ([\s\S]*)$/.exec(text);
  return m
    ? { line: Number(m[1]), col: Number(m[2]), message: m[3]!, text }
    : { line: 1, col: 1, message: text, text };
}

/** The scenario the text holds and the run it amounts to, or its first problem (too big for a page is one). */
export function checkScenario(text: string): LabCheck {
  try {
    const scenario = parseScenario(text, LAB_FILE);
    const options = toBuilder(scenario).toOptions();
    try {
      validateRunOptions(options);
    } catch (e) {
      if (e instanceof ConfigError) throw new ScenarioError(configErrorAt(text, LAB_FILE, e));
      throw e;
    }
    // Too big for a page: said before anything runs, at the machine section that makes it so.
    const too = tooBigForPage(options);
    if (too) {
      const line = text.split('\n').findIndex((l) => /^machine\s*:/.test(l)) + 1;
      throw new ScenarioError(`${LAB_FILE}:${Math.max(line, 1)}:1: ${too}`);
    }
    return { ok: true, scenario, options };
  } catch (e) {
    if (e instanceof ScenarioError) return { ok: false, problem: problemOf(e.message) };
    throw e;
  }
}

/**
 * The largest run a page takes on: a browser tab has one thread and a few GiB, and the model's cost
 * grows with memory blocks and threads (the command line runs the 64 TiB, 2,048-thread shape).
 */
export const PAGE_LIMITS = { lmbs: 16_384, threads: 256 };

/** Why the run is too big for a page, or undefined when it is not. */
export function tooBigForPage(o: RunOptions): string | undefined {
  const m = machineConfig(o);
  const lmbs = m.memory / m.lmbSize + m.holes.length + m.spareLmbs;
  const too: string[] = [];
  if (lmbs > PAGE_LIMITS.lmbs)
    too.push(
      `${lmbs.toLocaleString('en')} LMB slots (a page runs up to ${PAGE_LIMITS.lmbs.toLocaleString('en')})`,
    );
  if (o.cpus > PAGE_LIMITS.threads)
    too.push(`${o.cpus.toLocaleString('en')} threads (a page runs up to ${PAGE_LIMITS.threads})`);
  return too.length
    ? `too big for a page: ${too.join(' and ')}; run it with the command line, fadump-sim run ${LAB_FILE}`
    : undefined;
}

/** The largest file a page offers as it is: a download is held in the tab's memory in full. */
export const DOWNLOAD_LIMIT = 2 ** 30;

/** A file of the run, as its run directory would hold it. */
export interface LabFile {
  name: string;
  size: number;
  /** Its bytes, in pieces (a sparse vmcore's holes are one shared zero chunk). */
  pieces(): Uint8Array[];
}

export interface LabRun {
  summary: Summary;
  /** The outcome in `run`'s words: the dump, what verification found, the warnings (the last cycle). */
  verdict: Verdict;
  /** Expectations of the scenario's `expect` that do not hold. */
  failed: string[];
  /** report.html, as the command line writes it. */
  report: string;
  /** summary.json, the vmcores, vmcore-dmesg.txt, vmlinux, the OPAL cores. */
  files: LabFile[];
  /**
   * For an ELF vmcore too large to download (DOWNLOAD_LIMIT), the same /proc/vmcore saved as
   * `makedumpfile -E -d 31` would: only the pages a distribution keeps.
   */
  filtered(name: string): Promise<LabFile>;
}

const memoryFile = (f: MemoryFile): LabFile => ({ name: f.name, size: f.size, pieces: () => f.pieces() });
const bytesFile = (name: string, bytes: Uint8Array): LabFile => ({
  name,
  size: bytes.length,
  pieces: () => [bytes],
});
const textFile = (name: string, text: string) => bytesFile(name, new TextEncoder().encode(text));

/**
 * Runs the scenario in memory: what `fadump-sim run` would write, in files the page can offer. `name`
 * titles the report when the scenario has none of its own (the built-in scenario it was picked as).
 */
export async function runInPage(check: Extract<LabCheck, { ok: true }>, name = 'scenario'): Promise<LabRun> {
  const { scenario, options } = check;
  const too = tooBigForPage(options);
  if (too) throw new ScenarioError(`${LAB_FILE}: ${too}`);
  const o: RunOptions = {
    ...options,
    title: scenario.name ?? name,
    ...(scenario.description ? { description: scenario.description } : {}),
  };
  const result = await runScenario(o, null);
  const { summary } = result;
  const failed = checkExpectations(scenario, summary.cycles.at(-1)!);
  const files: LabFile[] = [textFile('summary.json', `${JSON.stringify(summary, null, 2)}\n`)];
  for (const [i, c] of result.captures.entries()) {
    if (!c.file || !c.beside) continue;
    const cycle = summary.cycles.filter((s) => s.dump.status === 'captured')[i]!;
    files.push(memoryFile(c.file), textFile(cycle.dump.dmesg!, c.beside.dmesg));
    files.push(bytesFile(cycle.dump.vmlinux!, c.beside.vmlinux));
  }
  for (const oc of result.opalcores) if (oc.file) files.push(memoryFile(oc.file));
  return {
    summary,
    verdict: verdict(summary.cycles.at(-1)!),
    failed,
    report: reportHtml(o, result, failed),
    files,
    filtered: async (name) => {
      const c = result.captures.find((w) => w.path === name);
      if (!c?.beside) throw new Error(`${name}: no such vmcore in this run`);
      const out = new MemoryFile(`${name}-d31`);
      await saveDump(out, c.beside.image, 'elf', 31);
      return memoryFile(out);
    },
  };
}

/** A file's size for the download list: bytes, KiB, MiB or GiB, to three figures. */
export function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = bytes;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${i === 0 || v >= 100 ? v.toFixed(0) : v.toPrecision(3)} ${units[i]}`;
}
