// The kdump userspace's udev rule for memory events (kexec-tools 98-kexec.rules with
// kdump-udev-throttler), as it treats fadump: for every memory online/offline uevent it re-registers
// fadump — `echo 0` then `echo 1` to /sys/kernel/fadump/registered — one event at a time, unless
// /sys/kernel/fadump/hotplug_ready reads 1 (Linux 6.10+), when it does nothing. Linux fadump.c (fadump_init_files)

import type { Kernel, Uevent } from './kernel.ts';

export interface UdevTiming {
  /** From the uevent to the rule starting to run. */
  latencyNs: bigint;
  /** From `echo 0` to `echo 1` for one event: the userspace work of one re-registration. */
  perEventNs: bigint;
}

/** ASSUMPTION: 5 ms udev latency and 200 ms per re-registration (the kdump service restarts). */
export const DEFAULT_UDEV_TIMING: UdevTiming = { latencyNs: 5_000_000n, perEventNs: 200_000_000n };

export interface UdevStats {
  /** Memory online/offline uevents the rule ran for. */
  handled: number;
  reRegistrations: number;
  /** Simulated time fadump spent unregistered because of the rule. */
  unregisteredNs: bigint;
}

const TRIGGERS: readonly Uevent['action'][] = ['online', 'offline'];

/** Why `run` returned: the K-th event's window was reached, time ran out, or nothing is left to do. */
export type UdevStop = 'in-event' | 'until' | 'idle';

const NEVER = 1n << 62n;

export class KdumpUdevRule {
  private next = 0;
  private busyUntil = 0n;
  /** When the re-registration in progress will `echo 1` (fadump is unregistered until then). */
  private inFlight: { start: bigint; end: bigint } | undefined;
  readonly stats: UdevStats = { handled: 0, reRegistrations: 0, unregisteredNs: 0n };

  constructor(
    private k: Kernel,
    private timing: UdevTiming = DEFAULT_UDEV_TIMING,
  ) {}

  /** Whether the rule has fadump unregistered right now, between its `echo 0` and `echo 1`. */
  get midReRegistration(): boolean {
    return this.inFlight !== undefined || this.stoppedInWindow;
  }

  private stoppedInWindow = false;

  /** Whether uevents are waiting or a re-registration is in progress. */
  get busy(): boolean {
    return (
      this.inFlight !== undefined || this.k.uevents.slice(this.next).some((e) => TRIGGERS.includes(e.action))
    );
  }

  /**
   * Runs the rule over the pending uevents in order, on the simulated clock, up to time `until`
   * (work that would start or finish later is left for the next call, so memory events can happen
   * while a re-registration is in progress). With `stopInEvent` = K (1-based), stops in the middle of
   * handling the K-th triggering event — halfway between `echo 0` and `echo 1` when the rule
   * re-registers — so a crash can be placed there.
   */
  run(stopInEvent?: number, until: bigint = NEVER): UdevStop {
    const k = this.k;
    const clock = k.machine.clock;
    const fadump = k.fadump;
    for (;;) {
      if (this.inFlight) {
        const { start, end } = this.inFlight;
        if (end > until) return 'until';
        clock.advanceTo(end);
        fadump.sysfsWrite('registered', '1');
        this.stats.reRegistrations++;
        this.stats.unregisteredNs += end - start;
        this.busyUntil = end;
        this.inFlight = undefined;
      }
      const e = k.uevents[this.next];
      if (!e) return 'idle';
      if (!TRIGGERS.includes(e.action)) {
        this.next++;
        continue;
      }
      const start = later(e.t + this.timing.latencyNs, this.busyUntil);
      if (start > until) return 'until';
      this.next++;
      this.stats.handled++;
      clock.advanceTo(start);
      const stopHere = this.stats.handled === stopInEvent;
      if (fadump.sysfsRead('hotplug_ready') === '1\n' || fadump.sysfsRead('enabled') !== '1\n') {
        this.busyUntil = start;
        if (stopHere) return 'in-event';
        continue;
      }
      fadump.sysfsWrite('registered', '0');
      if (stopHere) {
        const half = this.timing.perEventNs / 2n;
        clock.advanceTo(start + half);
        this.stats.unregisteredNs += half;
        this.stoppedInWindow = true;
        return 'in-event';
      }
      this.inFlight = { start, end: start + this.timing.perEventNs };
    }
  }
}

function later(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
