// A POWER hardware thread: the registers that firmware saves (REGSAVE, HDAT records) and that the
// kernel puts in pt_regs and NT_PRSTATUS notes. Values are u64 bigints.

/** Special-purpose registers the model keeps, by their REGSAVE identifiers. */
export const SPR_NAMES = [
  'ACOP', 'AMR', 'BESCR', 'CFAR', 'CIABR', 'CTRL', 'DABR', 'DABRX', 'DAWR0', 'DAWR1', 'DAWRX0',
  'DAWRX1', 'DPDES', 'DSCR', 'EBBHR', 'EBBRR', 'FPSCR', 'FSCR', 'IAMR', 'IC', 'PSPB', 'PVR', 'RPR',
  'SPURR', 'SRR0', 'SRR1', 'TAR', 'TEXASR', 'TFHAR', 'TFIAR', 'TIR', 'UAMOR', 'VRSAVE', 'VSCR', 'VTB',
  'WORT', 'PURR', 'TB', 'DEC',
] as const; // biome-ignore format: one table

export type SprName = (typeof SPR_NAMES)[number];

export interface Registers {
  gpr: bigint[];
  nip: bigint;
  msr: bigint;
  ctr: bigint;
  lr: bigint;
  xer: bigint;
  cr: bigint;
  dar: bigint;
  dsisr: bigint;
  /** pt_regs.trap: the interrupt vector the state was saved at. */
  trap: bigint;
  orig_gpr3: bigint;
  softe: bigint;
  spr: Record<SprName, bigint>;
}

export class CpuThread {
  /** Whether the thread is online in the running kernel. */
  online = true;

  constructor(
    /** Logical CPU number the kernel uses. */
    readonly id: number,
    /** Processor identification register (hardware id). */
    readonly pir: number,
    public regs: Registers,
  ) {}
}

const ZERO: Registers = Object.freeze({
  gpr: new Array<bigint>(32).fill(0n),
  nip: 0n,
  msr: 0n,
  ctr: 0n,
  lr: 0n,
  xer: 0n,
  cr: 0n,
  dar: 0n,
  dsisr: 0n,
  trap: 0n,
  orig_gpr3: 0n,
  softe: 0n,
  spr: Object.fromEntries(SPR_NAMES.map((n) => [n, 0n])) as Record<SprName, bigint>,
});

/** Registers all zero: a copy of one template (machines are built by the thousand in campaigns). */
export function zeroRegisters(): Registers {
  return cloneRegisters(ZERO);
}

export function cloneRegisters(r: Registers): Registers {
  return { ...r, gpr: [...r.gpr], spr: { ...r.spr } };
}
