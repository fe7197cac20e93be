// One harness for a partition, for every test that needs one: a machine with sensible small
// defaults, pSeries or PowerNV firmware on it, kernels booted on it (the first kernel, a fadump
// kernel after a crash), their console without timestamps, and a whole run through runScenario in a
// fresh directory. Tests state only what differs from the defaults.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine, type MachineConfig } from '../../emulator/machine.ts';
import { SkibootFirmware } from '../../firmware/opal/skiboot-firmware.ts';
import { type FirmwarePersonality, POWERVM } from '../../firmware/rtas/personality.ts';
import { PseriesFirmware } from '../../firmware/rtas/pseries-firmware.ts';
import { Kernel, type KernelConfig } from '../../kernel-model/kernel.ts';
import {
  DEFAULT_RUN,
  type RunHooks,
  type RunOptions,
  type RunResult,
  runScenario,
} from '../../scenarios/run.ts';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** 8 GiB in 256 MiB LMBs, 4 threads, no holes, seed 1, unless the test says otherwise. */
export function makeMachine(config: Partial<MachineConfig> = {}): Machine {
  return new Machine({
    memory: 8 * GiB,
    lmbSize: 256 * MiB,
    cpus: 4,
    threadsPerCore: 1,
    holes: [],
    seed: 1,
    ...config,
  });
}

/** A kernel's console lines without their timestamps. */
export function lines(console: Kernel | readonly string[]): string[] {
  return (console instanceof Kernel ? console.console : console).map((l) => l.replace(/^\[[^\]]*\] /, ''));
}

const KERNEL: KernelConfig = { order: 'le', kernel: 'resilient', notePids: false };

export interface Booted {
  k: Kernel;
  f: Kernel['fadump'];
  /** The kernel's console without timestamps. */
  lines: string[];
}

export interface Partition<F> {
  m: Machine;
  fw: F;
  /** A kernel on this partition, not booted yet (6.10+, little-endian unless `config` says). */
  kernel(config?: Partial<KernelConfig>): Kernel;
  /** Boots a kernel with this command line (default `fadump=on`): the first kernel, or a fadump kernel after a crash. */
  boot(cmdline?: string, config?: Partial<KernelConfig>): Booted;
}

function partition<F extends { boot(cmdline: string, cas?: { minRma?: number }): number }>(
  m: Machine,
  fw: F,
  kernel: (config: KernelConfig) => Kernel,
): Partition<F> {
  const make = (config: Partial<KernelConfig> = {}) => kernel({ ...KERNEL, ...config });
  return {
    m,
    fw,
    kernel: make,
    boot(cmdline = 'fadump=on', config = {}) {
      const k = make(config);
      // As the runner does: firmware grants the minimum RMA the kernel asks for through CAS.
      k.boot(fw.boot(cmdline, { minRma: k.behaviour.casMinRma }));
      return { k, f: k.fadump, lines: lines(k) };
    },
  };
}

/** A pSeries LPAR (PowerVM unless `personality` says) with RTAS. */
export function pseries(
  config: Partial<MachineConfig> & { personality?: FirmwarePersonality } = {},
): Partition<PseriesFirmware> {
  const { personality = POWERVM, ...rest } = config;
  const m = makeMachine(rest);
  const fw = new PseriesFirmware(m, personality);
  return partition(m, fw, (c) => new Kernel(m, fw.rtas, c));
}

/** A PowerNV system with skiboot and OPAL. */
export function powernv(config: Partial<MachineConfig> = {}): Partition<SkibootFirmware> {
  const m = makeMachine(config);
  const fw = new SkibootFirmware(m);
  return partition(m, fw, (c) => new Kernel(m, undefined, c, fw.opal));
}

/** A whole run (runScenario) in a fresh directory: the default run with these changes (2 GiB unless set). */
export async function run(
  o: Partial<RunOptions> = {},
  hooks: RunHooks = {},
): Promise<RunResult & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fadump-run-'));
  return { dir, ...(await runScenario({ ...DEFAULT_RUN, memory: 2 * GiB, ...o }, dir, hooks)) };
}
