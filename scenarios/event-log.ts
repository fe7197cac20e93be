// The event log of a run, DIR/events.jsonl: every event the machine, firmware and kernels emit, as
// pino NDJSON. No wall clock, pid or host name in it: `t` is simulated time, so the same scenario
// and seed give the same bytes.

import { rename } from 'node:fs/promises';
import pino from 'pino';
import type { EventBus, SimEvent } from '../emulator/events.ts';
import { assertWritable } from '../emulator/output-guard.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How loud each kind of event is: firmware calls and rejections are detail, the rest the story. */
function levelOf(e: SimEvent): 'debug' | 'info' | 'warn' {
  if (e.kind === 'elfcorehdr-overflow' || e.kind === 'corrupt') return 'warn';
  if (e.kind === 'call' || e.kind === 'opal-call' || e.kind === 'reject') return 'debug';
  return 'info';
}

const plain = (v: unknown): unknown =>
  typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(plain) : v;

export class EventLog {
  private logger: pino.Logger;
  private dest: ReturnType<typeof pino.destination>;
  private tmp: string;

  constructor(
    private path: string,
    bus: EventBus,
    level: LogLevel = 'info',
  ) {
    assertWritable(path);
    this.tmp = `${path}.tmp-${process.pid}`;
    this.dest = pino.destination({ dest: this.tmp, sync: true });
    this.logger = pino({ level, base: undefined, timestamp: false }, this.dest);
    bus.on((e) => {
      const detail = Object.fromEntries(Object.entries(e.detail).map(([k, v]) => [k, plain(v)]));
      this.logger[levelOf(e)]({ t: e.t.toString(), source: e.source, kind: e.kind, ...detail });
    });
  }

  /** Flushes and moves the log to its final name. */
  async close(): Promise<void> {
    this.dest.flushSync();
    this.dest.end();
    await rename(this.tmp, this.path);
  }
}
