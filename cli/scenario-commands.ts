// The commands that read scenario files or the built-in library, loaded only when one is named:
// they pull in the YAML parser and the schema validator, which the default `run` does not need.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import {
  ConfigError,
  checkExpectations,
  configErrorAt,
  type LogLevel,
  libraryScenarios,
  parseScenario,
  type RunOptions,
  resolveScenario,
  runScenario,
  ScenarioError,
  type ScenarioFile,
  toBuilder,
  validateRunOptions,
  writeReport,
} from '../api/index.ts';
import { paint } from './colour.ts';
import { outcomeLines, running } from './commands.ts';
import { claimOutputDir, cleanUpOnInterrupt, EXIT_DUMP_FAILED, fail, UsageError } from './fail.ts';

/**
 * Runs scenario files or built-in names. All are read and validated first (exit 2 on the first bad
 * one, nothing written); each runs into DIR (one) or DIR/<name> (several); exit 1 when an
 * expectation fails, naming it.
 */
export async function runFiles(
  args: string[],
  out: string,
  json: boolean,
  logLevel: LogLevel,
  force: boolean,
): Promise<void> {
  let loaded: { name: string; scenario: ScenarioFile; file: string; text: string }[];
  try {
    loaded = args.map((arg) => {
      const file = resolveScenario(arg);
      const text = readFileSync(file, 'utf8');
      const scenario = parseScenario(text, file);
      validateRunOptions(toBuilder(scenario).toOptions());
      return { name: scenario.name ?? basename(file).replace(/\.ya?ml$/, ''), scenario, file, text };
    });
    claimOutputDir(out, force);
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof ConfigError || e instanceof UsageError) fail(e.message);
    throw e;
  }
  cleanUpOnInterrupt(out);
  // A progress bar only for people watching a terminal: never when piped, under CI or with --json.
  const showBar = loaded.length > 1 && !json && process.stderr.isTTY === true && process.env.CI !== 'true';
  const bar = showBar
    ? new SingleBar(
        { format: '{bar} {value}/{total} {name}', stream: process.stderr, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(loaded.length, 0, { name: '' });
  const results = [];
  for (const { name, scenario, file, text } of loaded) {
    bar?.update({ name });
    const dir = loaded.length === 1 ? out : join(out, name);
    const options = {
      ...toBuilder(scenario).toOptions(),
      logLevel,
      title: name,
      ...(scenario.description ? { description: scenario.description } : {}),
    };
    const result = await running(
      () => runScenario(options, dir),
      (e) => configErrorAt(text, file, e),
    );
    const { summary } = result;
    const failed = checkExpectations(scenario, summary.cycles.at(-1)!);
    // The report names the expectations that failed, too.
    if (failed.length > 0) await writeReport(dir, options, result, failed);
    results.push({ name, dir, dump: summary.dump.status, failed });
    bar?.increment();
    if (!json) {
      const verdictWord = failed.length === 0 ? paint.good('ok') : paint.bad('FAILED');
      process.stdout.write(`${name}: ${paint.status(summary.dump.status)} ${verdictWord} -> ${dir}\n`);
      process.stdout.write(outcomeLines(summary.cycles.at(-1)!, dir, '  '));
      for (const f of failed) process.stdout.write(`  expectation failed: ${f}\n`);
    }
  }
  bar?.stop();
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (results.some((r) => r.failed.length > 0)) process.exitCode = EXIT_DUMP_FAILED;
}

export function list(json: boolean): void {
  const all = libraryScenarios();
  if (json)
    process.stdout.write(
      `${JSON.stringify(
        all.map(({ name, description, dump }) => ({ name, dump, description })),
        null,
        2,
      )}\n`,
    );
  else
    for (const s of all) process.stdout.write(`${s.name.padEnd(40)} ${s.dump.padEnd(11)} ${s.description}\n`);
}

/** The run options a scenario file or built-in name amounts to; ScenarioError when it is bad. */
export function scenarioOptions(scenario: string): RunOptions {
  const file = resolveScenario(scenario);
  return toBuilder(parseScenario(readFileSync(file, 'utf8'), file)).toOptions();
}
