// Firmware under hostile guests (issue 7): random RTAS and OPAL call sequences never throw, answer
// only documented statuses and keep registration state consistent; a fast-check model-based test
// drives ibm,configure-kernel-dump and ibm,os-term against a four-state reference model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../emulator/machine.ts';
import { encodeDumpStructure, SECTION_TYPE } from '../../../firmware/rtas/fadump-structs.ts';
import { personalityByName } from '../../../firmware/rtas/personality.ts';
import { PseriesFirmware } from '../../../firmware/rtas/pseries-firmware.ts';
import { enterRtas, fuzzOpal, fuzzRtas } from '../../../testing/firmware-fuzz.ts';
import { makeMachine } from '../../support/partition.ts';

describe('random call sequences (fixed seeds)', () => {
  for (const firmware of ['powervm', 'qemu'] as const) {
    it(`RTAS on ${firmware}: 5000 calls, no exception, only documented statuses, state consistent`, () => {
      const r = fuzzRtas(42, 5000, firmware);
      expect(r.violations).toEqual([]);
      expect(r.calls).toBe(5000);
      // The sequences reach every answer, not just parameter errors.
      for (const s of [
        'ibm,configure-kernel-dump 0',
        'ibm,configure-kernel-dump -9',
        'ibm,configure-kernel-dump -10',
        'ibm,os-term 0',
      ])
        expect(r.statuses[s] ?? 0, s).toBeGreaterThan(0);
    });
  }

  it('OPAL: 3000 calls, no exception, only documented statuses, MPIPL reboots included', () => {
    const r = fuzzOpal(42, 3000);
    expect(r.violations).toEqual([]);
    for (const s of [
      'OPAL_MPIPL_UPDATE 0',
      'OPAL_MPIPL_REGISTER_TAG 0',
      'OPAL_CEC_REBOOT2 0',
      'OPAL_CEC_REBOOT2 -7',
    ])
      expect(r.statuses[s] ?? 0, s).toBeGreaterThan(0);
  });
});

// ---- model-based: ibm,configure-kernel-dump and ibm,os-term against a reference model -----------

const MiB = 2 ** 20;
const BUF = 0x0810_2000;

interface Model {
  registered: boolean;
  active: boolean;
}
interface Real {
  fw: PseriesFirmware;
  machine: Machine;
}

function structure(valid: boolean): Uint8Array {
  return encodeDumpStructure(
    [
      { type: SECTION_TYPE.CpuState, source: 0n, length: 0x2000n, destination: 0x1400_0000n },
      { type: SECTION_TYPE.Hpte, source: 0n, length: 0n, destination: 0x1400_2000n },
      { type: SECTION_TYPE.RealModeRegion, source: 0n, length: 0x1000_0000n, destination: 0x1401_0000n },
    ],
    valid ? 1 : 2,
  );
}

function call(r: Real, name: string, args: number[]): number {
  return enterRtas(r.fw, r.fw.rtas.tokenOf(name)!, args)!;
}

class Register implements fc.Command<Model, Real> {
  constructor(readonly valid: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const s = structure(this.valid);
    r.machine.memory.poke(BUF, s);
    const got = call(r, 'ibm,configure-kernel-dump', [1, BUF, s.length]);
    const want = m.registered ? -9 : m.active ? -10 : this.valid ? 0 : -3;
    expect(got).toBe(want);
    if (want === 0) m.registered = true;
  }
  toString = () => `register(${this.valid ? 'valid' : 'bad version'})`;
}

class Unregister implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const got = call(r, 'ibm,configure-kernel-dump', [2, BUF, 0xa0]);
    expect(got).toBe(m.active ? -10 : 0);
    if (!m.active) m.registered = false;
  }
  toString = () => 'unregister';
}

class Invalidate implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const got = call(r, 'ibm,configure-kernel-dump', [3, BUF, 0xa0]);
    const ok = m.active || r.fw.personality.quirks.has('invalidateAlwaysSucceeds');
    expect(got).toBe(ok ? 0 : -3);
    if (ok) m.registered = m.active = false;
  }
  toString = () => 'invalidate';
}

class OsTerm implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    r.machine.memory.poke(0x0810_1000, new TextEncoder().encode('panic\0'));
    expect(call(r, 'ibm,os-term', [0x0810_1000])).toBe(0);
    expect(r.fw.resetPending).toBe(m.registered);
    if (m.registered) {
      r.fw.boot('again');
      expect(r.fw.kernelDump.kernelDumpProperty()).toBeDefined();
      m.registered = false;
      m.active = true;
    }
  }
  toString = () => 'os-term';
}

describe('ibm,configure-kernel-dump and ibm,os-term against a reference model', () => {
  for (const firmware of ['powervm', 'qemu'] as const) {
    it(`${firmware}: every command sequence answers what the model predicts`, () => {
      const commands = [
        fc.boolean().map((v) => new Register(v)),
        fc.constant(new Unregister()),
        fc.constant(new Invalidate()),
        fc.constant(new OsTerm()),
      ];
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands: 25 }), (cmds) => {
          const machine = makeMachine({ memory: 1024 * MiB, cpus: 2 });
          const fw = new PseriesFirmware(machine, personalityByName(firmware)!);
          fw.boot('model');
          fc.modelRun(() => ({ model: { registered: false, active: false }, real: { fw, machine } }), cmds);
        }),
        { numRuns: 150, seed: 7 },
      );
    });
  }
});
