import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../emulator/clock.ts';
import { DtNode } from '../../../emulator/device-tree.ts';
import { DtbError, decodeDtb, encodeDtb, FDT_HEADER } from '../../../emulator/dtb.ts';
import { POWERVM } from '../../../firmware/rtas/personality.ts';
import { PseriesFirmware } from '../../../firmware/rtas/pseries-firmware.ts';
import { makeMachine } from '../../support/partition.ts';
import { tools } from '../../support/tools.ts';

const MiB = 2 ** 20;

function pseriesTree(): DtNode {
  const m = makeMachine({ memory: 2048 * MiB, threadsPerCore: 2, holes: [3] });
  return new PseriesFirmware(m, POWERVM).buildTree('root=/dev/sda2 fadump=on');
}

function same(a: DtNode, b: DtNode): boolean {
  if (a.name !== b.name || a.props.size !== b.props.size || a.children.length !== b.children.length)
    return false;
  for (const [k, v] of a.props) {
    const w = b.props.get(k);
    if (!w || !Buffer.from(v).equals(Buffer.from(w))) return false;
  }
  return a.children.every((c, i) => same(c, b.children[i]!));
}

describe('DTB codec', () => {
  it('round-trips the pSeries tree with a consistent v17 header', () => {
    const tree = pseriesTree();
    const blob = encodeDtb(tree, { bootCpuidPhys: 8, reserveMap: [{ address: 0x1000n, size: 0x2000n }] });
    const h = FDT_HEADER.decode(blob);
    expect(h).toMatchObject({
      magic: 0xd00dfeed,
      version: 17,
      last_comp_version: 16,
      totalsize: blob.length,
      boot_cpuid_phys: 8,
    });
    expect(h.off_mem_rsvmap).toBe(40);
    expect(h.off_dt_struct).toBe(40 + 2 * 16);
    expect(h.off_dt_strings).toBe(h.off_dt_struct + h.size_dt_struct);
    const back = decodeDtb(blob);
    expect(same(back.root, tree)).toBe(true);
    expect(back.reserveMap).toEqual([{ address: 0x1000n, size: 0x2000n }]);
    expect(back.bootCpuidPhys).toBe(8);
  });

  it('stores each property name once in the strings block', () => {
    const root = new DtNode('');
    root.ensure('a').setCells('reg', [1]);
    root.ensure('b').setCells('reg', [2]);
    const h = FDT_HEADER.decode(encodeDtb(root));
    expect(h.size_dt_strings).toBe(4);
  });

  it('round-trips random trees', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9,#-]{0,12}$/);
    // A flat list of nodes; node i > 0 hangs under node (parent % i).
    const tree = fc
      .array(
        fc.record({
          name,
          parent: fc.nat(),
          props: fc.uniqueArray(fc.tuple(name, fc.uint8Array({ maxLength: 24 })), {
            maxLength: 5,
            selector: ([k]) => k,
          }),
        }),
        { minLength: 1, maxLength: 12 },
      )
      .map((specs) => {
        const nodes = specs.map((s, i) => {
          const n = new DtNode(i === 0 ? '' : s.name);
          for (const [k, v] of s.props) n.set(k, v);
          return n;
        });
        specs.forEach((s, i) => {
          if (i > 0) nodes[s.parent % i]!.children.push(nodes[i]!);
        });
        return nodes[0]!;
      });
    fc.assert(
      fc.property(tree, (t) => same(decodeDtb(encodeDtb(t)).root, t)),
      { seed: 42, numRuns: 200 },
    );
  });

  const errors: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['short blob', (b) => b.subarray(0, 20), /shorter than the header/],
    ['bad magic', (b) => patch(b, 0, 0x12345678), /bad magic 0x12345678/],
    ['old version', (b) => patch(b, 20, 15), /unsupported version 15/],
    ['truncated blob', (b) => b.subarray(0, b.length - 8), /exceeds the .* bytes given/],
    ['struct block outside', (b) => patch(b, 36, 0x7fffffff), /structure block lies outside the blob/],
    ['unknown token', (b) => patch(b, FDT_HEADER.decode(b).off_dt_struct, 7), /unknown token 0x7/],
    [
      'property before any node',
      (b) => patch(b, FDT_HEADER.decode(b).off_dt_struct, 3),
      /property outside any node|runs past/,
    ],
  ];
  for (const [what, damage, message] of errors) {
    it(`rejects ${what} with a DtbError naming the problem`, () => {
      const blob = encodeDtb(pseriesTree());
      let err: unknown;
      try {
        decodeDtb(damage(blob.slice()));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DtbError);
      expect((err as DtbError).message).toMatch(message);
      expect((err as DtbError).offset).toBeGreaterThanOrEqual(0);
    });
  }

  it('answers random damage with a tree or a DtbError, nothing else', () => {
    const blob = encodeDtb(pseriesTree());
    const rng = new SeededRng(9);
    for (let i = 0; i < 2000; i++) {
      const b = blob.slice(0, rng.int(0, blob.length));
      for (let j = 0; j < rng.int(1, 8); j++) if (b.length) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      try {
        decodeDtb(b);
      } catch (e) {
        if (!(e instanceof DtbError)) throw e;
      }
    }
  });
});

describe.runIf(tools.dtc())('DTB against dtc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fadump-dtb-'));

  it('dtc -I dtb -O dts accepts the pSeries tree without warnings', () => {
    const file = join(dir, 'pseries.dtb');
    writeFileSync(file, encodeDtb(pseriesTree()));
    const r = spawnSync(tools.dtc()!, ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ibm,dynamic-reconfiguration-memory {');
    expect(r.stdout).toContain('ibm,configure-kernel-dump = <0x202d>;');
    expect(r.stdout).toContain('bootargs = "root=/dev/sda2 fadump=on";');
  });

  it('decodes a blob dtc compiled', () => {
    const src = join(dir, 'in.dts');
    writeFileSync(
      src,
      '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tcpus {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\tcpu@0 { reg = <0>; device_type = "cpu"; };\n\t};\n};\n',
    );
    execFileSync(tools.dtc()!, ['-I', 'dts', '-O', 'dtb', '-o', join(dir, 'in.dtb'), src]);
    const root = decodeDtb(new Uint8Array(readFileSync(join(dir, 'in.dtb')))).root;
    expect(root.getCells('#address-cells')).toEqual([2]);
    expect(root.find('/cpus/cpu@0')?.getString('device_type')).toBe('cpu');
  });
});

function patch(b: Uint8Array, at: number, v: number): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0);
  return b;
}

describe.runIf(tools.dtc())('PowerNV DTB against dtc', () => {
  it('dtc -I dtb -O dts accepts the PowerNV tree without warnings', async () => {
    const { SkibootFirmware } = await import('../../../firmware/opal/skiboot-firmware.ts');
    const m = makeMachine({ memory: 4 * 2 ** 30, cpus: 8, threadsPerCore: 4 });
    const file = join(mkdtempSync(join(tmpdir(), 'fadump-dtb-')), 'powernv.dtb');
    writeFileSync(file, encodeDtb(new SkibootFirmware(m).buildTree('fadump=on', true)));
    const r = spawnSync(tools.dtc()!, ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('compatible = "ibm,opal-dump";');
    expect(r.stdout).toContain('mpipl-boot;');
  });
});
