// The fluent scenario builder: the same verbs the YAML scenario language will have, one to one.
//   await Scenario.create({ kernel: 'legacy' }).boot().hotAdd(8).offline(2).crashAt({ event: 3 }).run(dir)

import {
  DEFAULT_RUN,
  type MemoryStep,
  type RunHooks,
  type RunOptions,
  type RunResult,
  runScenario,
} from './run.ts';

type Lmbs = number | { drc: number[] };

export class Scenario {
  private steps: MemoryStep[] = [];
  private booted = false;
  private crash: { event?: number; cpu?: number } | undefined;

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
  hotAdd(lmbs: Lmbs): this {
    return this.event(
      typeof lmbs === 'number' ? { op: 'hot-add', count: lmbs } : { op: 'hot-add', drc: lmbs.drc },
    );
  }

  /** DLPAR memory remove of `n` LMBs (the kernel picks, highest first) or of these DRC indexes. */
  hotRemove(lmbs: Lmbs): this {
    return this.event(
      typeof lmbs === 'number'
        ? { op: 'hot-remove', count: lmbs }
        : { op: 'hot-remove', count: lmbs.drc.length, drc: lmbs.drc },
    );
  }

  offline(blocks: number): this {
    return this.event({ op: 'offline', count: blocks });
  }

  online(blocks: number): this {
    return this.event({ op: 'online', count: blocks });
  }

  /** The panic: after the events, or while udev handles the K-th memory event; on a CPU. */
  crashAt(point: { event?: number; cpu?: number } = {}): this {
    if (!this.booted) throw new Error('crashAt() before boot()');
    this.crash = point;
    return this;
  }

  /** The run options the steps amount to (what a scenario file will mirror). */
  toOptions(): RunOptions {
    return {
      ...this.options,
      steps: [...this.steps],
      ...(this.crash?.event !== undefined ? { crashAtEvent: this.crash.event } : {}),
      ...(this.crash?.cpu !== undefined ? { crashCpu: this.crash.cpu } : {}),
    };
  }

  run(outDir: string, hooks?: RunHooks): Promise<RunResult> {
    if (!this.crash) throw new Error('the scenario needs crashAt()');
    return runScenario(this.toOptions(), outDir, hooks);
  }

  private event(step: MemoryStep): this {
    if (!this.booted) throw new Error(`${step.op} before boot()`);
    if (this.crash) throw new Error(`${step.op} after crashAt()`);
    this.steps.push(step);
    return this;
  }
}
