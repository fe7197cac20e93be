// Typed events the machine, firmware and kernels emit. Logs, consoles and reports subscribe; the
// models never print.

export type EventSource = 'machine' | 'rtas' | 'kernel' | 'capture';

export interface SimEvent {
  /** Simulated time, ns. */
  readonly t: bigint;
  readonly source: EventSource;
  readonly kind: string;
  readonly detail: Record<string, unknown>;
}

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
  begin(): (source: EventSource, kind: string, detail?: Record<string, unknown>) => void {
    const at = this.events.length;
    const t = this.now();
    this.events.push({ t, source: 'machine', kind: 'pending', detail: {} });
    return (source, kind, detail = {}) => {
      const e = { t, source, kind, detail };
      this.events[at] = e;
      for (const l of this.listeners) l(e);
    };
  }

  emit(source: EventSource, kind: string, detail: Record<string, unknown> = {}): void {
    const e = { t: this.now(), source, kind, detail };
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }
}
