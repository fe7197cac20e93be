// rtas_fadump_gpr_index as the kernel reads a register save entry's id: "GPR" and two characters
// that kstrtoint turns into 0..31; anything else is not a GPR.
import { describe, expect, it } from 'vitest';
import { asciiU64 } from '../../../emulator/struct.ts';
import { gprIndex } from '../../../kernel-model/rtas-fadump.ts';

const id = (bytes: number[]) => bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
const chars = (s: string) => [...s].map((c) => c.charCodeAt(0));

describe('gprIndex (rtas_fadump_gpr_index)', () => {
  it('reads the two characters after "GPR" as kstrtoint does', () => {
    expect(gprIndex(asciiU64('GPR00'))).toBe(0);
    expect(gprIndex(asciiU64('GPR31'))).toBe(31);
    expect(gprIndex(asciiU64('GPR7'))).toBe(7);
    expect(gprIndex(asciiU64('GPR+5'))).toBe(5);
    // Bytes after the two digits are not looked at.
    expect(gprIndex(id(chars('GPR05XYZ')))).toBe(5);
    expect(gprIndex(id([...chars('GPR5'), 10, 0, 0, 0]))).toBe(5);
  });

  it('is -1 for an index above 31, a sign alone, other text and other ids', () => {
    for (const bad of ['GPR32', 'GPR99', 'GPR-1', 'GPR+', 'GPRx1', 'GPR', 'NIA', 'CPUSTRT'])
      expect(gprIndex(asciiU64(bad)), bad).toBe(-1);
  });
});
