// A scenario's `expect` section, checked against the summary read back from the written files:
// one line per expectation that does not hold.

import type { ScenarioFile } from './scenario-schema.ts';
import type { CycleSummary } from './summary.ts';
import { sizeBytes } from './units.ts';

const parseSize = (v: string | number): number => (typeof v === 'number' ? v : sizeBytes(v)!);

/** Expectations that do not hold, one line each. */
export function checkExpectations(s: ScenarioFile, c: CycleSummary): string[] {
  const e = s.expect;
  if (!e) return [];
  const failed: string[] = [];
  if (e.dump && c.dump.status !== e.dump) failed.push(`dump: expected ${e.dump}, got ${c.dump.status}`);
  if (e.reason && !(c.dump.reason ?? '').includes(e.reason)) {
    failed.push(`reason: expected "${e.reason}", got "${c.dump.reason ?? ''}"`);
  }
  // The crash as the dump tells it: the note holding crash_fadump's registers.
  const crash = c.dump.crash;
  const none = c.dump.status === 'captured' ? 'no CPU note with crash_fadump registers' : 'no dump';
  if (e.crash?.cpu !== undefined && crash?.cpu !== e.crash.cpu)
    failed.push(`crash.cpu: expected ${e.crash.cpu}, got ${crash?.cpu ?? none}`);
  if (e.crash?.kind !== undefined && crash?.kind !== e.crash.kind)
    failed.push(`crash.kind: expected ${e.crash.kind}, got ${crash?.kind ?? none}`);
  if (e.crash?.trap !== undefined && (crash ? BigInt(crash.trap) : undefined) !== BigInt(e.crash.trap))
    failed.push(`crash.trap: expected 0x${BigInt(e.crash.trap).toString(16)}, got ${crash?.trap ?? none}`);
  if (e.reRegistrations !== undefined && c.hotplug.reRegistrations !== e.reRegistrations) {
    failed.push(`reRegistrations: expected ${e.reRegistrations}, got ${c.hotplug.reRegistrations}`);
  }
  const lines = [...c.console.crashed, ...c.console.capture].map((l) => l.replace(/^\[[^\]]*\] /, ''));
  for (const want of e.console ?? []) if (!lines.includes(want)) failed.push(`console: no line "${want}"`);
  if (e.ranges !== undefined) {
    const want = e.ranges.map((r) => `${BigInt(r.start).toString(16)}+${parseSize(r.size).toString(16)}`);
    const got = c.dump.loads.map((r) => `${BigInt(r.start).toString(16)}+${BigInt(r.size).toString(16)}`);
    if (want.join(' ') !== got.join(' '))
      failed.push(
        `ranges: expected ${want.map((w) => `0x${w}`).join(' ')}, got ${got.map((g) => `0x${g}`).join(' ') || 'none'}`,
      );
  }
  if (e.elfcorehdrOverflow !== undefined && c.elfcorehdrOverflowBytes > 0 !== e.elfcorehdrOverflow) {
    failed.push(
      `elfcorehdrOverflow: expected ${e.elfcorehdrOverflow}, got ${c.elfcorehdrOverflowBytes} bytes`,
    );
  }
  for (const [k, v] of Object.entries(e.pages ?? {})) {
    const got = c.dump.pages?.[k as keyof typeof e.pages & string];
    if (got !== v)
      failed.push(`pages.${k}: expected ${v}, got ${got ?? (c.dump.pages ? 'none' : 'no page counts')}`);
  }
  if (e.verify !== undefined) {
    const want =
      e.verify === 'exact'
        ? {
            mismatchedBytes: 0,
            missingBytes: 0,
            extraBytes: 0,
            registerMismatches: 0,
            missingCpus: [],
            extraCpus: [],
            vmcoreinfoMismatch: [],
            wronglyLeftOutPages: 0,
          }
        : e.verify;
    for (const [k, v] of Object.entries(want)) {
      const got = c.verify[k as keyof typeof c.verify];
      // Lists are expected whole; registerMismatches by count.
      const value = k === 'registerMismatches' && Array.isArray(got) ? got.length : got;
      if (JSON.stringify(value) !== JSON.stringify(v))
        failed.push(`verify.${k}: expected ${JSON.stringify(v)}, got ${describeGot(k, got)}`);
    }
  }
  return failed;
}

/** A verify value as a failure names it: register mismatches spelled out, so the line says which. */
function describeGot(key: string, got: unknown): string {
  if (key === 'registerMismatches' && Array.isArray(got) && got.length > 0)
    return `${got.length} (${(got as { cpu: number; register: string; expected: string; got: string }[])
      .slice(0, 3)
      .map((m) => `CPU ${m.cpu} ${m.register} ${m.got}, expected ${m.expected}`)
      .join('; ')}${got.length > 3 ? '; …' : ''})`;
  return JSON.stringify(got);
}
