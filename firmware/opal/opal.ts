// OPAL (skiboot) call entry: one registry of calls with their number and arity. The kernel makes a
// call with a token and 64-bit arguments and gets a 64-bit status back; results that are data go
// through guest memory (e.g. QUERY_TAG writes at a pointer). skiboot core/opal.c.

import type { EventBus } from '../../emulator/events.ts';
import type { PhysicalMemory } from '../../emulator/physical-memory.ts';

/** OPAL return codes (skiboot include/opal-api.h). */
export const OpalStatus = {
  Success: 0,
  Parameter: -1,
  Busy: -2,
  Hardware: -6,
  Unsupported: -7,
  Resource: -10,
} as const;

export const OpalToken = {
  CecReboot2: 116,
  MpiplUpdate: 173,
  MpiplRegisterTag: 174,
  MpiplQueryTag: 175,
} as const;

export interface OpalCall {
  readonly token: number;
  readonly name: string;
  readonly nargs: number;
  /** `pir` is the thread making the call (hardware context, not guest data). */
  readonly handler: (args: readonly bigint[], pir: number) => number;
}

/** What the kernel calls. */
export interface OpalEntry {
  call(token: number, args: readonly bigint[], pir?: number): number;
}

export class Opal implements OpalEntry {
  private calls = new Map<number, OpalCall>();
  callCount = 0;

  /** `memory`: where the calls' guest accesses are recorded (the `touched` of each call event). */
  constructor(
    private events: EventBus,
    private memory?: PhysicalMemory,
  ) {}

  register(c: OpalCall): void {
    if (this.calls.has(c.token)) throw new Error(`OPAL token ${c.token} registered twice`);
    this.calls.set(c.token, c);
  }

  has(token: number): boolean {
    return this.calls.has(token);
  }

  /** Unknown tokens and a wrong argument count answer OPAL_PARAMETER, as skiboot's bad-token path does. */
  call(token: number, args: readonly bigint[], pir = 0): number {
    this.callCount++;
    const done = this.events.begin();
    const c = this.calls.get(token);
    const touched = this.memory?.record();
    let status: number;
    try {
      status =
        !c || args.length !== c.nargs
          ? OpalStatus.Parameter
          : c.handler(
              args.map((a) => BigInt.asUintN(64, a)),
              pir,
            );
    } finally {
      touched?.();
    }
    done('machine', 'opal-call', {
      token,
      name: c?.name ?? 'unknown',
      args: args.map(String),
      status,
      ...(touched && { touched: touched() }),
    });
    if (!c || args.length !== c.nargs) {
      this.events.emit('machine', 'reject', {
        call: c?.name ?? 'unknown',
        reason: c ? `${args.length} arguments, expected ${c.nargs}` : 'unknown token',
        value: `0x${(c ? args.length : token).toString(16)}`,
        status: OpalStatus.Parameter,
      });
    }
    return status;
  }
}
