// The first kernel's timeline before the crash: memory events through firmware and the kernel, the
// kdump udev rule reacting on the simulated clock, registration changes and waits, up to the crash
// point (an event, a time, or the end of the steps).

import { ConfigError, LMB_DRC_BASE } from '../emulator/memory-blocks.ts';
import { KdumpUdevRule } from '../kernel-model/kdump-udev.ts';
import type { Kernel } from '../kernel-model/kernel.ts';
import type { Platform } from './platforms.ts';
import type { RunOptions } from './run-options.ts';
import type { HotplugSummary } from './summary.ts';

/**
 * One step of the first kernel's timeline (what a verb of phase `before` or `either` in
 * scenarios/verbs.ts adds to the run). A memory event is one bulk event, or with `interval` one
 * event per memory block that far apart while the udev rule works concurrently; DRC indexes, when
 * given, name the LMBs, otherwise firmware or the kernel picks. `register`/`unregister` write
 * /sys/kernel/fadump/registered; `wait` lets simulated time pass.
 */
export type MemoryStep =
  | { op: 'hotAdd'; count?: number; drc?: number[]; interval?: bigint }
  | { op: 'hotRemove'; count?: number; drc?: number[]; interval?: bigint }
  | { op: 'offline'; count: number; interval?: bigint }
  | { op: 'online'; count: number; interval?: bigint }
  | { op: 'register' }
  | { op: 'unregister' }
  | { op: 'bootargsAppend'; text: string }
  | { op: 'wait'; ns: bigint };

/** A crash time that never comes. */
const NEVER = 1n << 62n;

/**
 * The first kernel's timeline before the crash: memory events (DLPAR add: firmware assigns, the
 * kernel adds; DLPAR remove: the kernel releases, firmware unassigns; offline, online), registration
 * changes and waits, with the kdump udev rule reacting on the simulated clock — for every memory
 * online/offline uevent it re-registers fadump unless /sys/kernel/fadump/hotplug_ready reads 1. A
 * step without an interval is one bulk event that udev handles fully before the next step; with an
 * interval, the blocks go one at a time while udev works. Stops early at crashAtEvent or crashAtTime.
 */
export interface Timeline {
  summary: HotplugSummary;
  /** Requests the timeline could not carry out, in words for the outcome. */
  warnings: string[];
  /** Whether the kdump udev rule had fadump unregistered when the crash point came. */
  midReRegistration: boolean;
}

export function applyHotplug(o: RunOptions, platform: Platform, k: Kernel): Timeline {
  const clock = k.machine.clock;
  const rtasBefore = platform.calls();
  const t0 = clock.now();
  const rule = new KdumpUdevRule(k, o.udevTiming);
  const until = o.crashAtTime ?? NEVER;
  if (clock.now() > until) {
    throw new ConfigError(
      `--crash-at-time ${fmtNs(until)} is before the first kernel is up and registered (${fmtNs(clock.now())})`,
    );
  }
  let added = 0;
  let removed = 0;
  let offlined = 0;
  let stop: 'in-event' | 'time' | undefined;
  const warnings: string[] = [];
  const steps = stepsOf(o);
  let done = 0;
  /** Lets time pass to `t` while udev works; true when the crash point was reached. */
  const advance = (t: bigint): boolean => {
    const limit = t < until ? t : until;
    if (o.udev !== false && rule.run(o.crashAtEvent, limit) === 'in-event') stop = 'in-event';
    else {
      clock.advanceTo(limit);
      if (limit === until && until !== NEVER) stop = 'time';
    }
    return stop !== undefined;
  };
  const one = (step: MemoryStep, count: number, drc?: number[]) => {
    switch (step.op) {
      case 'hotAdd': {
        const assigned = platform.dlparAssign(count, drc);
        const missed = drc?.filter((d) => !assigned.includes(d)) ?? [];
        if (missed.length)
          warnings.push(`hot-add: ${missed.map(hexDrc).join(', ')} not free to add (assigned already)`);
        else if (!drc && assigned.length < count)
          warnings.push(`hot-add of ${count} LMBs: firmware had only ${assigned.length} free to assign`);
        added += k.hotplugAdd(assigned);
        break;
      }
      case 'hotRemove': {
        const released = k.hotplugRemove(count, drc);
        if (released) {
          platform.dlparUnassign(released);
          removed += released.length;
        }
        break;
      }
      case 'offline':
        offlined += k.setOnline(count, false);
        break;
      case 'online':
        k.setOnline(count, true);
        break;
      case 'register':
      case 'unregister':
        k.fadump.sysfsWrite('registered', step.op === 'register' ? '1' : '0');
        break;
      case 'bootargsAppend':
        // echo TEXT > /sys/kernel/fadump/bootargs_append (echo adds the newline the kernel drops).
        k.fadump.sysfsWrite('bootargs_append', `${step.text}\n`);
        break;
    }
  };
  for (const step of steps) {
    done++;
    if (step.op === 'wait') {
      if (advance(clock.now() + step.ns)) break;
      continue;
    }
    const drc = 'drc' in step ? step.drc : undefined;
    const count = 'count' in step ? (step.count ?? drc?.length ?? 0) : 0;
    if ('interval' in step && step.interval !== undefined) {
      // One block at a time, `interval` apart, the udev rule working in between.
      const n = drc?.length ?? count;
      for (let i = 0; i < n && !(i > 0 && advance(clock.now() + step.interval)); i++) {
        one(step, 1, drc ? [drc[i]!] : undefined);
      }
    } else one(step, count, drc);
    if (stop) break;
    // The step is done when udev has handled its events (or the crash point comes first).
    if (o.udev !== false) {
      const r = rule.run(o.crashAtEvent, until);
      if (r === 'in-event') stop = 'in-event';
      else if (r === 'until') advance(until);
    }
    if (stop) break;
  }
  if (!stop && until !== NEVER) advance(until);
  if (stop && done < steps.length) {
    const left = steps.length - done;
    warnings.push(
      `the crash came before the last ${left} step${left > 1 ? 's' : ''} of the timeline, which did not run`,
    );
  }
  if (o.crashAtEvent !== undefined && stop !== 'in-event' && !(stop === 'time'))
    warnings.push(
      `the crash was to come while udev handled memory event ${o.crashAtEvent}, but it handled ${rule.stats.handled}: it came after the steps`,
    );
  const summary: HotplugSummary = {
    added,
    removed,
    offlined,
    uevents: k.uevents.length,
    reRegistrations: rule.stats.reRegistrations,
    rtasCalls: platform.calls() - rtasBefore,
    unregisteredNs: Number(rule.stats.unregisteredNs),
    crashedInEvent: stop === 'in-event',
    settleNs: Number(clock.now() - t0),
  };
  return { summary, warnings, midReRegistration: o.udev !== false && rule.midReRegistration };
}

const hexDrc = (d: number) => `DRC 0x${d.toString(16)}`;

function fmtNs(ns: bigint): string {
  return `${(Number(ns) / 1e9).toFixed(3)}s`;
}

/** The memory events of a run: `steps` as given, or the `hotplug` plan as add, remove, offline. */
export function stepsOf(o: RunOptions): MemoryStep[] {
  if (o.steps) return o.steps;
  const p = o.hotplug ?? {};
  const steps: MemoryStep[] = [];
  if (o.bootargsAppend !== undefined) steps.push({ op: 'bootargsAppend', text: o.bootargsAppend });
  if (p.add || p.addDrc)
    steps.push({ op: 'hotAdd', count: p.add ?? 0, ...(p.addDrc ? { drc: p.addDrc } : {}) });
  if (p.remove || p.removeDrc) {
    steps.push({
      op: 'hotRemove',
      count: p.remove ?? p.removeDrc!.length,
      ...(p.removeDrc ? { drc: p.removeDrc } : {}),
    });
  }
  if (p.offline) steps.push({ op: 'offline', count: p.offline });
  return steps;
}

/** Unassigned LMB slots above `present` LMBs that the adds need: enough for the counts and every DRC named. */
export function spareFor(steps: readonly MemoryStep[], present: number): number {
  let counted = 0;
  let highest = 0;
  for (const s of steps) {
    if (s.op !== 'hotAdd') continue;
    counted += s.count ?? 0;
    for (const d of s.drc ?? []) highest = Math.max(highest, d - LMB_DRC_BASE + 1 - present);
  }
  return Math.max(0, highest) + counted;
}
