// RTAS (Run-Time Abstraction Services) entry: one registry of calls that both dispatches guest
// calls and writes the /rtas device-tree properties. A call is an argument buffer in guest memory
// of big-endian 32-bit cells: token, nargs, nret, args[nargs], rets[nret] (PAPR 7.2).

import type { DtNode } from '../../emulator/device-tree.ts';
import type { EventBus } from '../../emulator/events.ts';
import type { PhysicalMemory } from '../../emulator/physical-memory.ts';

/** RTAS status codes (PAPR table "RTAS Status Word Values"; LoPAR ibm,configure-kernel-dump). */
export const RtasStatus = {
  Success: 0,
  HardwareError: -1,
  Busy: -2,
  ParameterError: -3,
  DumpAlreadyRegistered: -9,
  DumpActive: -10,
  ExtendedDelay0: 9900,
  ExtendedDelay5: 9905,
} as const;

/** Largest nargs + nret the dispatcher reads: bounds what a hostile buffer can make it do. */
const MAX_CELLS = 16;

export interface RtasCallContext {
  readonly args: readonly number[];
  readonly nret: number;
  readonly memory: PhysicalMemory;
}

/** A handler returns its return cells; cell 0 is the status. */
export type RtasHandler = (ctx: RtasCallContext) => number[];

export interface RtasCall {
  readonly token: number;
  readonly name: string;
  readonly nargs: number;
  readonly nret: number;
  /**
   * Whether the dispatcher checks nargs and nret (default). Unchecked, as QEMU's ibm,os-term: the
   * handler is given the first argument cell and its status written, whatever the counts say.
   */
  readonly arityUnchecked?: boolean;
  readonly handler: RtasHandler;
}

/** What the kernel calls: it passes the physical address of its argument buffer. */
export interface RtasEntry {
  enter(argsAddr: number): void;
}

export class Rtas implements RtasEntry {
  private calls = new Map<number, RtasCall>();
  callCount = 0;

  constructor(
    private memory: PhysicalMemory,
    private events: EventBus,
  ) {}

  register(call: RtasCall): void {
    if (this.calls.has(call.token))
      throw new Error(`RTAS token 0x${call.token.toString(16)} registered twice`);
    if ([...this.calls.values()].some((c) => c.name === call.name))
      throw new Error(`RTAS call ${call.name} registered twice`);
    this.calls.set(call.token, call);
  }

  tokenOf(name: string): number | undefined {
    return [...this.calls.values()].find((c) => c.name === name)?.token;
  }

  /** Writes one token property per call into /rtas. */
  writeTokens(rtasNode: DtNode): void {
    const sorted = [...this.calls.values()].sort((a, b) => a.token - b.token);
    for (const c of sorted) rtasNode.setCells(c.name, [c.token]);
  }

  /**
   * Enters RTAS with the argument buffer at argsAddr. An unreadable buffer is a machine check the
   * guest takes (nothing can be returned to it); everything after that ends in a status cell.
   */
  enter(argsAddr: number): void {
    this.callCount++;
    const done = this.events.begin();
    const mem = this.memory;
    // What the call reads and writes, its argument buffer included; recording stops however it ends.
    const touched = mem.record();
    try {
      const token = mem.readU32(argsAddr, 'be');
      const nargs = mem.readU32(argsAddr + 4, 'be');
      const nret = mem.readU32(argsAddr + 8, 'be');
      const call = this.calls.get(token);
      // Arity, checked once for every call against the registry (QEMU: each handler's first check).
      const wrong: [string, number] | undefined = !call
        ? ['unknown token', token]
        : call.arityUnchecked
          ? nargs + nret > MAX_CELLS
            ? ['more cells than the buffer holds', nargs + nret]
            : undefined
          : nargs !== call.nargs
            ? [`nargs, expected ${call.nargs}`, nargs]
            : nret !== call.nret
              ? [`nret, expected ${call.nret}`, nret]
              : undefined;
      if (!call || wrong) {
        const [reason, value] = wrong ?? ['unknown token', token];
        const name = call?.name ?? 'unknown';
        // The status cell, when the buffer has one within the cells the dispatcher reads.
        if (nret >= 1 && nargs + nret <= MAX_CELLS)
          mem.writeU32(argsAddr + 12 + nargs * 4, RtasStatus.ParameterError >>> 0, 'be');
        done('rtas', 'call', {
          token,
          name,
          nargs,
          nret,
          status: RtasStatus.ParameterError,
          touched: touched(),
        });
        this.events.emit('rtas', 'reject', {
          call: name,
          reason,
          value: `0x${value.toString(16)}`,
          status: RtasStatus.ParameterError,
        });
        return;
      }
      // Unchecked: the handler reads its argument and stores its status as if the counts were right.
      const argCells = call.arityUnchecked ? Math.max(nargs, call.nargs) : nargs;
      const args = Array.from({ length: argCells }, (_, i) => mem.readU32(argsAddr + 12 + i * 4, 'be'));
      const rets = call.handler({ args, nret, memory: mem });
      const retBase = argsAddr + 12 + nargs * 4;
      const retCells = call.arityUnchecked ? Math.max(nret, call.nret) : nret;
      for (let i = 0; i < retCells; i++) mem.writeU32(retBase + i * 4, (rets[i] ?? 0) >>> 0, 'be');
      done('rtas', 'call', {
        token,
        name: call.name,
        args,
        status: toSigned(rets[0] ?? 0),
        touched: touched(),
      });
    } finally {
      touched();
    }
  }
}

export function toSigned(cell: number): number {
  return cell | 0;
}
