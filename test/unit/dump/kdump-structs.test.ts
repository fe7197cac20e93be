// The kdump-compressed structures' field tables (issue 13 groundwork): sizes and offsets as
// makedumpfile's diskdump_mod.h lays them out on LP64 (ppc64), and a round trip in both byte orders.
import { describe, expect, it } from 'vitest';
import {
  DISK_DUMP_HEADER,
  KDUMP_HEADER_VERSION,
  KDUMP_SIGNATURE,
  KDUMP_SUB_HEADER,
  PAGE_DESC,
} from '../../../dump/kdump-structs.ts';

describe('kdump-compressed field tables', () => {
  it('lay the fields where makedumpfile does', () => {
    expect([DISK_DUMP_HEADER.size, KDUMP_SUB_HEADER.size, PAGE_DESC.size]).toEqual([464, 104, 24]);
    const at = (t: { offsetOf(n: string): number }, names: string[]) => names.map((n) => t.offsetOf(n));
    expect(
      at(DISK_DUMP_HEADER, [
        'header_version',
        'sysname',
        'release',
        'domainname',
        'tv_sec',
        'status',
        'block_size',
        'bitmap_blocks',
        'nr_cpus',
      ]),
    ).toEqual([8, 12, 142, 337, 408, 424, 428, 436, 460]);
    expect(
      at(KDUMP_SUB_HEADER, ['dump_level', 'offset_vmcoreinfo', 'offset_note', 'size_note', 'max_mapnr_64']),
    ).toEqual([8, 32, 48, 56, 96]);
    expect(at(PAGE_DESC, ['offset', 'size', 'flags', 'page_flags'])).toEqual([0, 8, 12, 16]);
  });

  for (const order of ['le', 'be'] as const) {
    it(`encode and decode a header in ${order}`, () => {
      const release = new Uint8Array(65);
      release.set(new TextEncoder().encode('6.10.0-fadump-sim'));
      const zero = new Uint8Array(65);
      const bytes = DISK_DUMP_HEADER.encode(
        {
          signature: KDUMP_SIGNATURE,
          header_version: KDUMP_HEADER_VERSION,
          sysname: zero,
          nodename: zero,
          release,
          version: zero,
          machine: zero,
          domainname: zero,
          tv_sec: 1_767_225_601n,
          tv_usec: 0n,
          status: 1,
          block_size: 65536,
          sub_hdr_size: 1,
          bitmap_blocks: 2,
          max_mapnr: 32768,
          total_ram_blocks: 0,
          device_blocks: 0,
          written_blocks: 0,
          current_cpu: 0,
          nr_cpus: 8,
        },
        order,
      );
      expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('KDUMP   ');
      const v = new DataView(bytes.buffer, bytes.byteOffset);
      expect(v.getInt32(428, order === 'le')).toBe(65536);
      const back = DISK_DUMP_HEADER.decode(bytes, order);
      expect(back.nr_cpus).toBe(8);
      expect(back.tv_sec).toBe(1_767_225_601n);
      expect(new TextDecoder().decode(back.release).replace(/\0+$/, '')).toBe('6.10.0-fadump-sim');
    });
  }
});
