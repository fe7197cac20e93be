// Device-tree model: nodes with byte-valued properties, as firmware builds them and the kernel reads
// them. Property values are raw bytes; helpers encode the usual cell formats (big-endian, as the
// flattened device tree always is). The DTB codec is in dtb.ts.

export class DtNode {
  readonly props = new Map<string, Uint8Array>();
  readonly children: DtNode[] = [];

  constructor(readonly name: string) {}

  child(name: string): DtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Returns the named child, creating it when missing. */
  ensure(name: string): DtNode {
    let c = this.child(name);
    if (!c) {
      c = new DtNode(name);
      this.children.push(c);
    }
    return c;
  }

  /** Finds a node by absolute path ("/rtas", "/ibm,dynamic-reconfiguration-memory"). */
  find(path: string): DtNode | undefined {
    let node: DtNode | undefined = this;
    for (const part of path.split('/').filter(Boolean)) {
      node = node?.child(part);
      if (!node) return undefined;
    }
    return node;
  }

  set(name: string, value: Uint8Array): this {
    this.props.set(name, value);
    return this;
  }

  setCells(name: string, cells: readonly number[]): this {
    return this.set(name, cellsToBytes(cells));
  }

  setU64s(name: string, values: readonly (number | bigint)[]): this {
    const b = new Uint8Array(values.length * 8);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => v.setBigUint64(i * 8, BigInt(x)));
    return this.set(name, b);
  }

  setString(name: string, value: string): this {
    return this.set(name, new TextEncoder().encode(`${value}\0`));
  }

  setEmpty(name: string): this {
    return this.set(name, new Uint8Array(0));
  }

  get(name: string): Uint8Array | undefined {
    return this.props.get(name);
  }

  getCells(name: string): number[] | undefined {
    const b = this.props.get(name);
    if (!b || b.length % 4 !== 0) return undefined;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: b.length / 4 }, (_, i) => v.getUint32(i * 4));
  }

  getString(name: string): string | undefined {
    const b = this.props.get(name);
    if (!b || b.length === 0 || b[b.length - 1] !== 0) return undefined;
    return new TextDecoder().decode(b.subarray(0, b.length - 1));
  }

  /** A deep copy, so firmware can rebuild a tree without sharing mutable nodes. */
  clone(): DtNode {
    const n = new DtNode(this.name);
    for (const [k, v] of this.props) n.props.set(k, v.slice());
    for (const c of this.children) n.children.push(c.clone());
    return n;
  }
}

export function cellsToBytes(cells: readonly number[]): Uint8Array {
  const b = new Uint8Array(cells.length * 4);
  const v = new DataView(b.buffer);
  cells.forEach((c, i) => v.setUint32(i * 4, c >>> 0));
  return b;
}

/** Splits a 64-bit value into (high, low) 32-bit cells. */
export function u64Cells(v: number | bigint): [number, number] {
  const n = BigInt(v);
  return [Number(n >> 32n), Number(n & 0xffffffffn)];
}

/** The 64-bit number in two 32-bit cells at `at` (high cell first), as #address-cells = 2 writes it. */
export function u64FromCells(cells: readonly number[], at: number): number {
  return (cells[at] ?? 0) * 2 ** 32 + (cells[at + 1] ?? 0);
}
