// The partition's hardware: sparse physical memory in logical memory blocks, CPU threads, the
// simulated clock, the seeded RNG and the event bus. Firmware attaches to it; kernels run on it.

import { SeededRng, SimClock } from './clock.ts';
import { CpuThread, zeroRegisters } from './cpu-thread.ts';
import { EventBus } from './events.ts';
import { ConfigError, isPowerOfTwo, MemoryBlocks } from './memory-blocks.ts';
import { PhysicalMemory } from './physical-memory.ts';

export interface MachineConfig {
  /** Assigned memory in bytes: a multiple of the LMB size. */
  memory: number;
  lmbSize: number;
  /** Hardware threads. */
  cpus: number;
  threadsPerCore: number;
  /** LMB indexes left unassigned (holes in the address space); they are extra, not part of `memory`. */
  holes: readonly number[];
  /** Unassigned LMB slots above assigned memory, for DLPAR memory add. */
  spareLmbs?: number;
  seed: number;
}

export const MAX_CPUS = 2048;

export class Machine {
  readonly clock = new SimClock();
  readonly rng: SeededRng;
  readonly events: EventBus;
  readonly blocks: MemoryBlocks;
  readonly memory: PhysicalMemory;
  readonly cpus: CpuThread[];
  bootCount = 0;

  constructor(readonly config: MachineConfig) {
    validateMachineConfig(config);
    this.rng = new SeededRng(config.seed);
    this.events = new EventBus(() => this.clock.now());
    const assigned = config.memory / config.lmbSize + config.holes.length;
    const count = assigned + (config.spareLmbs ?? 0);
    this.blocks = new MemoryBlocks(config.lmbSize, count);
    for (const h of config.holes) this.blocks.setAssigned(h, false);
    for (let i = assigned; i < count; i++) this.blocks.setAssigned(i, false);
    this.memory = new PhysicalMemory((addr, len) => this.blocks.isAssigned(addr, len));
    this.cpus = Array.from(
      { length: config.cpus },
      (_, id) => new CpuThread(id, pirOf(id, config), zeroRegisters()),
    );
  }

  /** A reset that keeps memory contents, as after a firmware-assisted dump (PAPR R1-6). */
  resetKeepingMemory(reason: string): void {
    for (const c of this.cpus) {
      c.regs = zeroRegisters();
      c.online = true;
    }
    this.clock.advance(2_000_000_000n);
    this.events.emit('machine', 'reset', { reason, keepMemory: true });
  }
}

/** ASSUMPTION: PIR = core × 8 + thread, as on POWER9/10 SMT8 numbering. */
function pirOf(id: number, c: MachineConfig): number {
  return Math.floor(id / c.threadsPerCore) * 8 + (id % c.threadsPerCore);
}

export function validateMachineConfig(c: MachineConfig): void {
  if (!isPowerOfTwo(c.lmbSize) || c.lmbSize < 16 * 2 ** 20 || c.lmbSize > 2 ** 30) {
    throw new ConfigError(`--lmb-size ${fmtSize(c.lmbSize)} must be a power of two from 16M to 1G`);
  }
  if (!Number.isSafeInteger(c.memory) || c.memory <= 0 || c.memory % c.lmbSize !== 0) {
    throw new ConfigError(
      `--memory ${fmtSize(c.memory)} must be a positive multiple of the LMB size (${fmtSize(c.lmbSize)})`,
    );
  }
  if (!Number.isInteger(c.cpus) || c.cpus < 1 || c.cpus > MAX_CPUS) {
    throw new ConfigError(`--cpus ${c.cpus} must be from 1 to ${MAX_CPUS}`);
  }
  if (![1, 2, 4, 8].includes(c.threadsPerCore) || c.cpus % c.threadsPerCore !== 0) {
    throw new ConfigError(
      `--smt ${c.threadsPerCore} (threads per core) must be 1, 2, 4 or 8 and divide --cpus ${c.cpus}`,
    );
  }
  const count = c.memory / c.lmbSize + c.holes.length;
  for (const h of c.holes) {
    if (!Number.isInteger(h) || h < 1 || h >= count)
      throw new ConfigError(`hole LMB ${h} is outside 1..${count - 1}`);
  }
}

export function fmtSize(n: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'T'],
    [2 ** 30, 'G'],
    [2 ** 20, 'M'],
    [2 ** 10, 'K'],
  ];
  for (const [u, s] of units) if (n >= u && n % u === 0) return `${n / u}${s}`;
  return String(n);
}
