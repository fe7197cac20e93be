// Simulated clock and seeded random numbers: the only sources of time and chance in the model.

import { uniformBigInt } from 'pure-rand/distribution/uniformBigInt';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Simulated time in nanoseconds since power-on. */
export class SimClock {
  private ns = 0n;

  now(): bigint {
    return this.ns;
  }

  /** Moves the clock forward to `t` (no-op when already past it). */
  advanceTo(t: bigint): void {
    if (t > this.ns) this.ns = t;
  }

  advance(ns: bigint | number): void {
    const d = BigInt(ns);
    if (d < 0n) throw new RangeError('time cannot go backwards');
    this.ns += d;
  }
}

export class SeededRng {
  private gen;

  constructor(readonly seed: number) {
    this.gen = xoroshiro128plus(seed);
  }

  int(min: number, max: number): number {
    return uniformInt(this.gen, min, max);
  }

  u64(): bigint {
    return uniformBigInt(this.gen, 0n, (1n << 64n) - 1n);
  }

  bigint(min: bigint, max: bigint): bigint {
    return uniformBigInt(this.gen, min, max);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}
