// A run's text outputs (summary.json, console.log, report.html), each written under a temporary
// name and renamed, so a final name never holds half a file.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../emulator/output-guard.ts';
import { renderReport } from './report.ts';
import type { RunResult } from './run.ts';
import type { RunOptions } from './run-options.ts';

/** Writes `bytes` to `path` atomically. */
export function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  return writeAtomically(path, (tmp) => writeFile(tmp, bytes));
}

/** Writes `text` to `path` atomically. */
export function writeText(path: string, text: string): Promise<void> {
  return writeAtomically(path, (tmp) => writeFile(tmp, text));
}

/** The run's report.html: the failed expectations named, when there are any. */
export function reportHtml(o: RunOptions, r: RunResult, failed: readonly string[] = []): string {
  const title =
    o.title ??
    `${o.platform} ${o.kernel} kernel${(o.captureKernel ?? o.kernel) !== o.kernel ? `, ${o.captureKernel} fadump kernel` : ''}`;
  return renderReport({
    title,
    options: o,
    summary: r.summary,
    maps: r.maps,
    events: r.machine.events.events,
    structures: r.structures,
    failed,
  });
}

/** DIR/report.html; callers with expectations rewrite it with the failures named. */
export async function writeReport(
  outDir: string,
  o: RunOptions,
  r: RunResult,
  failed: string[] = [],
): Promise<void> {
  await writeText(join(outDir, 'report.html'), reportHtml(o, r, failed));
}
