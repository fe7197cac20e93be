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

  emit(source: EventSource, kind: string, detail: Record<string, unknown> = {}): void {
    const e = { t: this.now(), source, kind, detail };
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }
}
