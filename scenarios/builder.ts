// The fluent scenario builder: the verbs of the YAML scenario language, one to one.
//   await Scenario.create({ kernel: 'legacy' }).boot().hotAdd(8).offline(2).crashAt({ event: 3 }).run(dir)
// Before the crash the verbs build the first kernel's timeline; after it, `corrupt` damages the dump
// before the fadump kernel boots, and `release`/`register`/`unregister` are what the fadump kernel
// does once the vmcore is saved.

import {
  type AfterCapture,
  DEFAULT_RUN,
  type MemoryStep,
  type RunHooks,
  type RunOptions,
  type RunResult,
  runScenario,
} from './run.ts';
import type { Corruption } from './structures.ts';

type Lmbs = number | { drc: number[] };
/** A bulk event as one event per memory block, `interval` ns apart (udev works in between). */
type Spread = { interval?: bigint };

export interface CrashPoint {
  /** The CPU that crashes (panic) or wins the race into fadump (NMI). */
  cpu?: number;
  /** While the udev rule handles the K-th memory online/offline event (1-based). */
  event?: number;
  /** At this simulated time, ns since power-on. */
  at?: bigint;
}

export class Scenario {
  private steps: MemoryStep[] = [];
  private booted = false;
  private crash: (CrashPoint & { nmi?: boolean }) | undefined;
  private corruptions: Corruption[] = [];
  private after: AfterCapture[] | undefined;

  private constructor(private readonly options: RunOptions) {}

  /** A scenario on the default machine with these changes. */
  static create(options: Partial<RunOptions> = {}): Scenario {
    return new Scenario({ ...DEFAULT_RUN, ...options });
  }

  /** Boots the first kernel, which registers fadump. */
  boot(): this {
    this.booted = true;
    return this;
  }

  /** DLPAR memory add of `n` LMBs (firmware picks) or of the LMBs with these DRC indexes. */
  hotAdd(lmbs: Lmbs, spread: Spread = {}): this {
    return this.event(
      typeof lmbs === 'number'
        ? { op: 'hotAdd', count: lmbs, ...spread }
        : { op: 'hotAdd', drc: lmbs.drc, ...spread },
    );
  }

  /** DLPAR memory remove of `n` LMBs (the kernel picks, highest first) or of these DRC indexes. */
  hotRemove(lmbs: Lmbs, spread: Spread = {}): this {
    return this.event(
      typeof lmbs === 'number'
        ? { op: 'hotRemove', count: lmbs, ...spread }
        : { op: 'hotRemove', count: lmbs.drc.length, drc: lmbs.drc, ...spread },
    );
  }

  offline(blocks: number, spread: Spread = {}): this {
    return this.event({ op: 'offline', count: blocks, ...spread });
  }

  online(blocks: number, spread: Spread = {}): this {
    return this.event({ op: 'online', count: blocks, ...spread });
  }

  /** echo 1 > /sys/kernel/fadump/registered: in the first kernel, or in the fadump kernel after the crash. */
  register(): this {
    return this.crash ? this.afterCapture('register') : this.event({ op: 'register' });
  }

  /** echo 0 > /sys/kernel/fadump/registered: in the first kernel, or in the fadump kernel after the crash. */
  unregister(): this {
    return this.crash ? this.afterCapture('unregister') : this.event({ op: 'unregister' });
  }

  /** echo TEXT > /sys/kernel/fadump/bootargs_append in the first kernel (6.10+). */
  bootargsAppend(text: string): this {
    if (this.crash) throw new Error('bootargsAppend() after the crash: the fadump kernel refuses it (EPERM)');
    return this.event({ op: 'bootargsAppend', text });
  }

  /** Lets `ns` of simulated time pass (udev keeps working). */
  wait(ns: bigint): this {
    return this.event({ op: 'wait', ns });
  }

  /** The panic: after the steps, at a time, or while udev handles the K-th memory event; on a CPU. */
  crashAt(point: CrashPoint = {}): this {
    if (!this.booted) throw new Error('crashAt() before boot()');
    if (this.crash) throw new Error('a scenario crashes once: crashAt() or nmi()');
    this.crash = point;
    return this;
  }

  /** A system reset (NMI) on every CPU after the steps; `cpu` enters crash_fadump first. */
  nmi(point: Pick<CrashPoint, 'cpu'> = {}): this {
    this.crashAt(point);
    this.crash!.nmi = true;
    return this;
  }

  /** After the crash: overwrite a field of a dump structure before the fadump kernel boots. */
  corrupt(c: Corruption): this {
    if (!this.crash) throw new Error('corrupt() before the crash: it damages the dump firmware took');
    this.corruptions.push(c);
    return this;
  }

  /** After the crash: the fadump kernel releases the dump memory (echo 1 > release_mem). */
  release(): this {
    if (!this.crash) throw new Error('release() before the crash');
    return this.afterCapture('release');
  }

  /** The run options the steps amount to (what a scenario file mirrors). */
  toOptions(): RunOptions {
    const c = this.crash;
    return {
      ...this.options,
      steps: [...this.steps],
      ...(c?.event !== undefined ? { crashAtEvent: c.event } : {}),
      ...(c?.at !== undefined ? { crashAtTime: c.at } : {}),
      ...(c?.cpu !== undefined ? { crashCpu: c.cpu } : {}),
      ...(c?.nmi ? { crashKind: 'nmi' as const } : {}),
      ...(this.corruptions.length ? { corrupt: [...this.corruptions] } : {}),
      ...(this.after ? { afterCapture: [...this.after] } : {}),
    };
  }

  /** Runs into outDir, or with null in memory, writing nothing to disk (see runScenario). */
  run(outDir: string | null, hooks?: RunHooks): Promise<RunResult> {
    if (!this.crash) throw new Error('the scenario needs crashAt() or nmi()');
    return runScenario(this.toOptions(), outDir, hooks);
  }

  private afterCapture(act: AfterCapture): this {
    this.after = [...(this.after ?? []), act];
    return this;
  }

  private event(step: MemoryStep): this {
    if (!this.booted) throw new Error(`${step.op} before boot()`);
    if (this.crash) throw new Error(`${step.op} after the crash`);
    this.steps.push(step);
    return this;
  }
}
