// Firmware fuzzing: random RTAS and OPAL call sequences with random arguments, as a hostile or
// broken guest would make them. Firmware must never throw on guest data, must answer only statuses
// the call is documented to return, and must keep its registration state consistent with a small
// reference model of what the statuses said.

import { SeededRng } from '../emulator/clock.ts';
import { Machine } from '../emulator/machine.ts';
import { OpalStatus, OpalToken } from '../firmware/opal/opal.ts';
import { SkibootFirmware } from '../firmware/opal/skiboot-firmware.ts';
import { encodeDumpStructure, SECTION_TYPE } from '../firmware/rtas/fadump-structs.ts';
import { type PersonalityName, personalityByName } from '../firmware/rtas/personality.ts';
import { PseriesFirmware } from '../firmware/rtas/pseries-firmware.ts';
import { RtasStatus } from '../firmware/rtas/rtas.ts';

export interface FuzzReport {
  calls: number;
  /** How often each (call, status) pair came back. */
  statuses: Record<string, number>;
  /** Thrown exceptions, undocumented statuses and state inconsistencies, one line each. */
  violations: string[];
}

const ARGS = 0x0810_0000;
const BUF = 0x0810_2000;
const MSG = 0x0810_1000;
const MiB = 2 ** 20;

/** Statuses each RTAS call may return (PAPR; -2 and 990x only under busy injection, never here). */
const RTAS_ALLOWED: Record<string, readonly number[]> = {
  'ibm,configure-kernel-dump': [
    RtasStatus.Success,
    RtasStatus.HardwareError,
    RtasStatus.ParameterError,
    RtasStatus.DumpAlreadyRegistered,
    RtasStatus.DumpActive,
  ],
  'ibm,os-term': [RtasStatus.Success],
  unknown: [RtasStatus.ParameterError],
};

/** A valid dump structure (CPU state, HPTE, boot memory) with destinations in the reserved area. */
function validStructure(rng: SeededRng): Uint8Array {
  return encodeDumpStructure([
    { type: SECTION_TYPE.CpuState, source: 0n, length: 0x2000n, destination: 0x1400_0000n },
    { type: SECTION_TYPE.Hpte, source: 0n, length: 0n, destination: 0x1400_2000n },
    {
      type: SECTION_TYPE.RealModeRegion,
      source: 0n,
      length: BigInt(rng.int(1, 8) * 16 * MiB),
      destination: 0x1401_0000n,
    },
  ]);
}

function damage(rng: SeededRng, b: Uint8Array): Uint8Array {
  const out = b.slice(0, rng.int(0, 3) === 0 ? rng.int(0, b.length) : b.length);
  for (let n = rng.int(0, 4); n > 0 && out.length > 0; n--)
    out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
  return out;
}

const randomU32 = (rng: SeededRng) => rng.int(0, 0xffff_ffff);

/**
 * Calls RTAS as a guest does: token, nargs, nret and the arguments in the argument buffer, then
 * rtas.enter. Returns the status cell, or undefined when nargs/nret leave none to read.
 */
export function enterRtas(
  fw: PseriesFirmware,
  token: number,
  args: readonly number[],
  nargs = args.length,
  nret = 1,
): number | undefined {
  const mem = fw.machine.memory;
  mem.writeU32(ARGS, token, 'be');
  mem.writeU32(ARGS + 4, nargs, 'be');
  mem.writeU32(ARGS + 8, nret, 'be');
  for (let a = 0; a < Math.min(nargs, 16); a++) mem.writeU32(ARGS + 12 + a * 4, args[a] ?? 0, 'be');
  mem.writeU32(ARGS + 12 + Math.min(nargs, 16) * 4, 0xdead_beef, 'be');
  fw.rtas.enter(ARGS);
  return nargs + nret > 16 || nret < 1 ? undefined : mem.readU32(ARGS + 12 + nargs * 4, 'be') | 0;
}

/**
 * `calls` random RTAS calls on a pSeries partition with `firmware` (powervm or qemu). After a dump
 * is taken (os-term with a registration) the partition boots again and the sequence goes on.
 */
export function fuzzRtas(seed: number, calls: number, firmware: PersonalityName = 'powervm'): FuzzReport {
  const rng = new SeededRng(seed);
  const machine = new Machine({
    memory: 2048 * MiB,
    lmbSize: 256 * MiB,
    cpus: 4,
    threadsPerCore: 1,
    holes: [],
    seed,
  });
  const fw = new PseriesFirmware(machine, personalityByName(firmware)!);
  fw.boot('fuzz');
  const tokens = new Map<number, string>();
  for (const [name, token] of [
    ['ibm,configure-kernel-dump', fw.rtas.tokenOf('ibm,configure-kernel-dump')],
    ['ibm,os-term', fw.rtas.tokenOf('ibm,os-term')],
  ] as const)
    if (token !== undefined) tokens.set(token, name);
  const report: FuzzReport = { calls: 0, statuses: {}, violations: [] };
  // The reference model: what the statuses so far say about the firmware's state.
  let registered = false;
  let active = false;
  for (let i = 0; i < calls; i++) {
    const pick = rng.int(0, 99);
    const known = [...tokens.keys()];
    const token = pick < 70 ? known[0]! : pick < 80 ? known[1]! : randomU32(rng);
    const name = tokens.get(token) ?? 'unknown';
    let args: number[];
    if (name === 'ibm,configure-kernel-dump') {
      const cmd = rng.int(0, 9) < 8 ? rng.int(1, 3) : randomU32(rng);
      const structure = validStructure(rng);
      const bytes = rng.int(0, 1) ? structure : damage(rng, structure);
      const at = rng.int(0, 9) < 8 ? BUF : rng.int(0, 9) < 5 ? randomU32(rng) : rng.int(0, 2048 * MiB);
      if (at === BUF) machine.memory.poke(BUF, bytes);
      const len = rng.int(0, 9) < 7 ? bytes.length : randomU32(rng);
      args = [cmd, at, len];
    } else if (name === 'ibm,os-term') {
      machine.memory.poke(MSG, new TextEncoder().encode('fuzz\0'));
      args = [rng.int(0, 3) ? MSG : randomU32(rng)];
    } else args = Array.from({ length: rng.int(0, 5) }, () => randomU32(rng));
    const nargs = rng.int(0, 19) === 0 ? rng.int(0, 20) : args.length;
    const nret = rng.int(0, 19) === 0 ? rng.int(0, 20) : 1;
    report.calls++;
    let status: number | undefined;
    try {
      status = enterRtas(fw, token, args, nargs, nret);
    } catch (e) {
      report.violations.push(`call ${i}: ${name}(${args.join(', ')}) threw ${(e as Error).message}`);
      continue;
    }
    if (status === undefined) continue; // no status cell to read (the dispatcher bounds it)
    const key = `${name} ${status}`;
    report.statuses[key] = (report.statuses[key] ?? 0) + 1;
    // QEMU's ibm,os-term checks neither count (osTermNoArityCheck): it answers as for a right call.
    const unchecked = name === 'ibm,os-term' && fw.personality.quirks.has('osTermNoArityCheck');
    const allowed =
      unchecked || (nargs === args.length && nret === 1) ? RTAS_ALLOWED[name]! : [RtasStatus.ParameterError];
    if (!allowed.includes(status))
      report.violations.push(`call ${i}: ${name} answered ${status}, not one of ${allowed.join(', ')}`);
    // The reference model.
    if (name === 'ibm,configure-kernel-dump' && status === 0) {
      if (args[0] === 1) {
        if (registered) report.violations.push(`call ${i}: register succeeded while registered`);
        registered = true;
      } else if (args[0] === 2) registered = false;
      else if (args[0] === 3) {
        if (!active && !fw.personality.quirks.has('invalidateAlwaysSucceeds'))
          report.violations.push(`call ${i}: invalidate succeeded with no dump active`);
        active = false;
        registered = false;
      }
    }
    if (name === 'ibm,configure-kernel-dump' && status === RtasStatus.DumpAlreadyRegistered && !registered)
      report.violations.push(`call ${i}: "already registered" while not registered`);
    if (name === 'ibm,os-term' && fw.resetPending) {
      if (!registered) report.violations.push(`call ${i}: a dump was taken with nothing registered`);
      fw.boot('fuzz');
      registered = false;
      active = true;
    }
    if (fw.kernelDump.registered !== registered)
      report.violations.push(
        `call ${i}: firmware registered=${fw.kernelDump.registered}, the statuses say ${registered}`,
      );
  }
  return report;
}

const OPAL_ALLOWED: Record<string, readonly number[]> = {
  OPAL_CEC_REBOOT2: [OpalStatus.Success, OpalStatus.Unsupported],
  OPAL_MPIPL_UPDATE: [OpalStatus.Success, OpalStatus.Parameter, OpalStatus.Resource],
  OPAL_MPIPL_REGISTER_TAG: [OpalStatus.Success, OpalStatus.Parameter],
  OPAL_MPIPL_QUERY_TAG: [OpalStatus.Success, OpalStatus.Parameter],
  unknown: [OpalStatus.Parameter],
};

/** `calls` random OPAL calls on a PowerNV machine; an MPIPL reboot boots again and goes on. */
export function fuzzOpal(seed: number, calls: number): FuzzReport {
  const rng = new SeededRng(seed);
  const machine = new Machine({
    memory: 3072 * MiB,
    lmbSize: 256 * MiB,
    cpus: 4,
    threadsPerCore: 1,
    holes: [],
    seed,
  });
  const fw = new SkibootFirmware(machine);
  fw.boot('fuzz');
  const names: Record<number, string> = {
    [OpalToken.CecReboot2]: 'OPAL_CEC_REBOOT2',
    [OpalToken.MpiplUpdate]: 'OPAL_MPIPL_UPDATE',
    [OpalToken.MpiplRegisterTag]: 'OPAL_MPIPL_REGISTER_TAG',
    [OpalToken.MpiplQueryTag]: 'OPAL_MPIPL_QUERY_TAG',
  };
  const known = Object.keys(names).map(Number);
  const report: FuzzReport = { calls: 0, statuses: {}, violations: [] };
  const u64 = (): bigint => {
    switch (rng.int(0, 5)) {
      case 0:
        return BigInt(rng.int(0, 3));
      case 1:
        return BigInt(rng.int(0, 3072) * MiB);
      case 2:
        return (1n << 63n) | BigInt(rng.int(0, 3072) * MiB);
      case 3:
        return BigInt(rng.int(0, 0xffff_ffff));
      default:
        return rng.u64();
    }
  };
  for (let i = 0; i < calls; i++) {
    const token = rng.int(0, 9) < 9 ? known[rng.int(0, known.length - 1)]! : randomU32(rng);
    const name = names[token] ?? 'unknown';
    // CEC reboot of type MPIPL only now and then, so sequences get long.
    const arity = name === 'OPAL_CEC_REBOOT2' ? 2 : name === 'OPAL_MPIPL_UPDATE' ? 4 : 2;
    const args = Array.from({ length: rng.int(0, 19) === 0 ? rng.int(0, 6) : arity }, u64);
    // Mostly reboot types other than MPIPL (3), so the sequences between dump boots get long.
    if (name === 'OPAL_CEC_REBOOT2' && args.length === 2 && rng.int(0, 9) > 0)
      args[0] = BigInt([0, 1, 2, 4, 5, 9][rng.int(0, 5)]!);
    report.calls++;
    let status: number;
    try {
      status = fw.opal.call(token, args, machine.cpus[rng.int(0, 3)]!.pir);
    } catch (e) {
      report.violations.push(`call ${i}: ${name}(${args.join(', ')}) threw ${(e as Error).message}`);
      continue;
    }
    const key = `${name} ${status}`;
    report.statuses[key] = (report.statuses[key] ?? 0) + 1;
    const allowed = args.length === arity ? OPAL_ALLOWED[name]! : [OpalStatus.Parameter];
    if (!allowed.includes(status))
      report.violations.push(`call ${i}: ${name} answered ${status}, not one of ${allowed.join(', ')}`);
    if (fw.pendingReboot !== 'none') {
      try {
        fw.boot('fuzz');
      } catch (e) {
        report.violations.push(`call ${i}: the boot after ${name} threw ${(e as Error).message}`);
      }
    }
  }
  return report;
}
