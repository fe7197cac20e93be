// The event log of a run, DIR/events.jsonl: every event the machine, firmware and kernels emit, as
// pino NDJSON. No wall clock, pid or host name in it: `t` is simulated time, so the same scenario
// and seed give the same bytes.

import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import pino from 'pino';
import type { EventBus, SimEvent } from '../emulator/events.ts';
import { asOutputError, assertWritable, temporaryName } from '../emulator/output-guard.ts';

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

/** Lines gathered before one write: a bulk DLPAR event logs a line per block. */
const FLUSH_AT = 64 * 1024;

/** pino's destination: NDJSON lines gathered and written to a file descriptor FLUSH_AT at a time. */
class LineBuffer {
  private lines: string[] = [];
  private length = 0;

  constructor(private readonly fd: number) {}

  write(line: string): boolean {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= FLUSH_AT) this.flush();
    return true;
  }

  flush(): void {
    const text = this.lines.join('');
    this.lines = [];
    this.length = 0;
    if (text) writeSync(this.fd, text);
  }
}

export class EventLog {
  private logger: pino.Logger;
  private fd: number;
  private dest: LineBuffer;
  private tmp: string;
  private failed: unknown;

  constructor(
    private path: string,
    bus: EventBus,
    level: LogLevel = 'info',
  ) {
    assertWritable(path);
    this.tmp = temporaryName(path);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw asOutputError(path, e);
    }
    this.dest = new LineBuffer(this.fd);
    this.logger = pino({ level, base: undefined, timestamp: false }, this.dest);
    bus.on((e) => {
      if (this.failed !== undefined) return;
      const detail = Object.fromEntries(Object.entries(e.detail).map(([k, v]) => [k, plain(v)]));
      try {
        this.logger[levelOf(e)]({ t: e.t.toString(), source: e.source, kind: e.kind, ...detail });
      } catch (err) {
        // A write the system refused (no space, file too large): the run goes on, close() reports it.
        this.failed = err;
      }
    });
  }

  /** Flushes and moves the log to its final name. */
  async close(): Promise<void> {
    try {
      if (this.failed !== undefined) throw this.failed;
      this.dest.flush();
    } catch (e) {
      closeSync(this.fd);
      rmSync(this.tmp, { force: true });
      throw asOutputError(this.path, e);
    }
    try {
      closeSync(this.fd);
      await rename(this.tmp, this.path);
    } catch (e) {
      throw asOutputError(this.path, e);
    }
  }
}
