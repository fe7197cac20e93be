// The elfcorehdr builder on its own: what fadump_populate_elfcorehdr (6.10+) and
// fadump_create_elfcore_headers (before 6.10) put in the header for a given memory layout, read
// back with plain DataView reads (not the field tables that wrote it).
import { describe, expect, it } from 'vitest';
import type { ByteOrder } from '../../../emulator/struct.ts';
import { buildElfcorehdr, type ElfcorehdrInput } from '../../../kernel-model/elfcorehdr.ts';

const MiB = 2 ** 20;
const VBASE = 0xc000000000000000n;

interface Phdr {
  type: number;
  offset: number;
  vaddr: bigint;
  paddr: number;
  size: number;
}

/** Program headers by hand: e_phoff @32, e_phnum @56, 56-byte entries. */
function phdrs(buf: Uint8Array, order: ByteOrder): Phdr[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = order === 'le';
  const phoff = Number(v.getBigUint64(32, le));
  const phnum = v.getUint16(56, le);
  expect(buf.length).toBe(phoff + phnum * 56);
  return Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * 56;
    return {
      type: v.getUint32(at, le),
      offset: Number(v.getBigUint64(at + 8, le)),
      vaddr: v.getBigUint64(at + 16, le),
      paddr: Number(v.getBigUint64(at + 24, le)),
      size: Number(v.getBigUint64(at + 32, le)),
    };
  });
}

const layout = (over: Partial<ElfcorehdrInput> = {}): ElfcorehdrInput => ({
  order: 'le',
  style: 'fadump-kernel',
  vmcoreinfo: { addr: 0x1a91_0000n, size: 0x1_0024n },
  bootMemRegions: [{ base: 0, size: 320 * MiB }],
  bootMemDestAddr: 0x1401_0000,
  bootMemTop: 320 * MiB,
  reservedArea: { base: 320 * MiB, size: 321 * MiB },
  memory: [{ base: 0, size: 2048 * MiB }],
  ...over,
});

describe('buildElfcorehdr', () => {
  for (const order of ['le', 'be'] as const) {
    it(`${order}: a notes placeholder, VMCOREINFO, boot memory from its copy, the rest around the reserved area`, () => {
      const h = phdrs(buildElfcorehdr(layout({ order })), order);
      expect(h.map((p) => p.type)).toEqual([0, 4, 1, 1]);
      expect(h[1]).toMatchObject({ offset: 0x1a91_0000, paddr: 0x1a91_0000, size: 0x1_0024 });
      expect(h[2]).toMatchObject({ paddr: 0, size: 320 * MiB, offset: 0x1401_0000, vaddr: VBASE });
      // Above the reserved area, read where it is.
      expect(h[3]).toMatchObject({ paddr: 641 * MiB, offset: 641 * MiB, size: (2048 - 641) * MiB });
      expect(h[3]!.vaddr).toBe(VBASE + BigInt(641 * MiB));
    });
  }

  it('boot memory in several regions: back to back in the copy, and a hole below boot_mem_top is not dumped', () => {
    const h = phdrs(
      buildElfcorehdr(
        layout({
          bootMemRegions: [
            { base: 0, size: 256 * MiB },
            { base: 512 * MiB, size: 64 * MiB },
          ],
          bootMemTop: 576 * MiB,
          reservedArea: { base: 576 * MiB, size: 321 * MiB },
          memory: [
            { base: 0, size: 256 * MiB },
            { base: 256 * MiB, size: 256 * MiB }, // added into the hole after registration
            { base: 512 * MiB, size: 1536 * MiB },
          ],
        }),
      ),
      'le',
    );
    const loads = h.filter((p) => p.type === 1).map((p) => [p.paddr / MiB, p.size / MiB, p.offset]);
    expect(loads).toEqual([
      [0, 256, 0x1401_0000],
      [512, 64, 0x1401_0000 + 256 * MiB],
      [897, 2048 - 897, 897 * MiB],
    ]);
  });

  it('6.10+ keeps ranges as they are and leaves a PT_NULL for one inside the reserved area; before 6.10 folds them', () => {
    const memory = [
      { base: 0, size: 1024 * MiB },
      { base: 1024 * MiB, size: 256 * MiB },
      { base: 1280 * MiB, size: 256 * MiB },
    ];
    const reservedArea = { base: 1024 * MiB, size: 256 * MiB };
    const types = (style: ElfcorehdrInput['style']) =>
      phdrs(buildElfcorehdr(layout({ style, memory, reservedArea })), 'le').map((p) => [
        p.type,
        p.paddr / MiB,
        p.size / MiB,
      ]);
    expect(types('fadump-kernel')).toEqual([
      [0, 0, 0],
      [4, 0x1a91_0000 / MiB, 0x1_0024 / MiB],
      [1, 0, 320],
      [1, 320, 704],
      [0, 0, 0],
      [1, 1280, 256],
    ]);
    const folded = [
      { base: 0, size: 512 * MiB },
      { base: 512 * MiB, size: 512 * MiB },
    ];
    const legacy = phdrs(
      buildElfcorehdr(
        layout({ style: 'first-kernel', memory: folded, reservedArea: { base: 320 * MiB, size: 0 } }),
      ),
      'le',
    ).filter((p) => p.type === 1);
    expect(legacy.map((p) => [p.paddr / MiB, p.size / MiB])).toEqual([
      [0, 320],
      [320, 704],
    ]);
  });
});
