// Typed events the machine, firmware and kernels emit. Logs, consoles and reports subscribe; the
// models never print.

import type { Access } from './physical-memory.ts';
export type EventSource = 'machine' | 'rtas' | 'kernel' | 'capture';

/** Every event there is, by kind, with what it carries. */
export interface EventDetails {
  /** A place reserved by EventBus.begin() and not yet filled. */
  pending: Record<string, never>;
  // The machine and firmware.
  boot: { boot: number; fdt: number; bytes: number; mpiplBoot?: boolean };
  reset: { reason: string; keepMemory: boolean };
  /** `touched`: the guest memory the call read and wrote (its argument buffer included). */
  call: {
    token: number;
    name: string;
    args?: number[];
    nargs?: number;
    nret?: number;
    status: number;
    touched?: Access[];
  };
  'opal-call': { token: number; name: string; args: string[]; status: number; touched?: Access[] };
  /** A firmware call refused: which call, why, the value that made it refuse, the status returned. */
  reject: { call: string; reason: string; value?: string; status: number };
  /** Firmware could not process one part of a dump (an RTAS section, an MPIPL range): why, and the flags set. */
  'dump-error': { what: string; reason: string; value?: string; flags?: string };
  registered: { sections: number };
  invalidated: Record<string, never>;
  'dump-processed': { status: number; sections: number };
  'os-term': { message: string; dumpRegistered: boolean };
  'dlpar-assign': { drcIndexes: number[] };
  'dlpar-unassign': { drcIndexes: number[] };
  'mpipl-dump': { preserved: number; threads: number };
  /** A scenario damaged memory before the fadump kernel booted (test and teaching only). */
  corrupt: { what: string };
  // The kernels.
  panic: { cpu: number; message: string };
  nmi: { cpu: number };
  uevent: { action: string; block: number };
  /**
   * Before 6.10, the first kernel built the elfcorehdr at registration, right after the crash info
   * header: its size, and the room the reserved area leaves it.
   */
  'elfcorehdr-built': { bytes: number; room: number; at: number };
  'elfcorehdr-overflow': { bytes: number; at: number };
  'fadump-registered': { boot: number };
  'fadump-unregistered': { boot: number };
  'dump-refused': { reason: string };
  /** `built`: the fadump kernel built the elfcorehdr (since 6.10); before, it completed the first kernel's. */
  'vmcore-ready': { built: boolean; elfcorehdr: number | undefined; bytes: number; notes: number };
  'dump-released': Record<string, never>;
}

export type EventKind = keyof EventDetails;

/** One event: a discriminated union on `kind`, so a switch sees what each one carries. */
export type SimEvent = {
  [K in EventKind]: {
    /** Simulated time, ns. */
    readonly t: bigint;
    readonly source: EventSource;
    readonly kind: K;
    readonly detail: EventDetails[K];
  };
}[EventKind];

export type Listener = (e: SimEvent) => void;

export class EventBus {
  readonly events: SimEvent[] = [];
  private listeners: Listener[] = [];

  constructor(private now: () => bigint) {}

  on(fn: Listener): void {
    this.listeners.push(fn);
  }

  /**
   * Reserves the next place in `events` for an event whose detail is known only later — a firmware
   * call and its status — so that events emitted while it runs come after it, as they happened.
   * Listeners hear it when it is completed.
   */
  begin(): <K extends EventKind>(source: EventSource, kind: K, detail: EventDetails[K]) => void {
    const at = this.events.length;
    const t = this.now();
    this.events.push({ t, source: 'machine', kind: 'pending', detail: {} });
    return (source, kind, detail) => {
      const e = { t, source, kind, detail } as SimEvent;
      this.events[at] = e;
      for (const l of this.listeners) l(e);
    };
  }

  emit<K extends EventKind>(source: EventSource, kind: K, detail: EventDetails[K]): void {
    const e = { t: this.now(), source, kind, detail } as SimEvent;
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }
}
