// Device-tree parts every POWER firmware builds the same way: the root with its cell sizes and
// /chosen, and /cpus with one node per core listing its threads' PIRs (ibm,ppc-interrupt-server#s).

import { DtNode } from '../emulator/device-tree.ts';
import type { Machine } from '../emulator/machine.ts';

export function rootNode(compatible: string, model: string, bootargs: string): DtNode {
  const root = new DtNode('');
  root.setCells('#address-cells', [2]).setCells('#size-cells', [2]);
  root.setString('compatible', compatible);
  root.setString('model', model);
  root.ensure('chosen').setString('bootargs', bootargs);
  return root;
}

export function writeCpus(root: DtNode, m: Machine): void {
  const cpus = root.ensure('cpus');
  cpus.setCells('#address-cells', [1]).setCells('#size-cells', [0]);
  const tpc = m.config.threadsPerCore;
  for (let core = 0; core < m.cpus.length / tpc; core++) {
    const threads = m.cpus.slice(core * tpc, (core + 1) * tpc);
    const first = threads[0]!;
    const node = cpus.ensure(`PowerPC,POWER10@${first.pir.toString(16)}`);
    node.setString('device_type', 'cpu').setCells('reg', [first.pir]);
    node.setCells(
      'ibm,ppc-interrupt-server#s',
      threads.map((t) => t.pir),
    );
  }
}
