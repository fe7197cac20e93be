// The backing pages of sparse physical memory, by page index: a map of leaves of LEAF_PAGES slots
// each (16 MiB of memory a leaf). A 64 TiB partition's million vmemmap pages lie in a few thousand
// leaves, so a lookup is a small map's and an array's, not a hash into a million entries; pages
// come out in address order without a sort; a leaf's count says whether its 16 MiB hold anything;
// and a copy shares the leaves, copying one only when either side first changes it.

/** Pages a leaf holds (16 MiB of 64 KiB pages). */
export const LEAF_PAGES = 256;

interface Leaf {
  slots: (Uint8Array | undefined)[];
  count: number;
  /** Held by a copy too: copied before it is changed. */
  shared: boolean;
}

/** Page index → the page's bytes, as a Map of them would be, with the leaves' counts. */
export class PageTable {
  private leaves = new Map<number, Leaf>();
  size = 0;

  get(page: number): Uint8Array | undefined {
    return this.leaves.get(Math.floor(page / LEAF_PAGES))?.slots[page % LEAF_PAGES];
  }

  has(page: number): boolean {
    return this.get(page) !== undefined;
  }

  set(page: number, bytes: Uint8Array): void {
    const leaf = this.writable(Math.floor(page / LEAF_PAGES));
    const i = page % LEAF_PAGES;
    if (leaf.slots[i] === undefined) {
      leaf.count++;
      this.size++;
    }
    leaf.slots[i] = bytes;
  }

  delete(page: number): boolean {
    const l = Math.floor(page / LEAF_PAGES);
    const i = page % LEAF_PAGES;
    if (this.leaves.get(l)?.slots[i] === undefined) return false;
    const leaf = this.writable(l);
    leaf.slots[i] = undefined;
    this.size--;
    if (--leaf.count === 0) this.leaves.delete(l);
    return true;
  }

  /** Pages present in leaf `l` (pages l·LEAF_PAGES up to the next leaf). */
  countIn(l: number): number {
    return this.leaves.get(l)?.count ?? 0;
  }

  /** Page indexes present, in ascending order. */
  keys(): number[] {
    const out: number[] = [];
    for (const l of [...this.leaves.keys()].sort((a, b) => a - b)) {
      const slots = this.leaves.get(l)!.slots;
      for (let i = 0; i < LEAF_PAGES; i++) if (slots[i] !== undefined) out.push(l * LEAF_PAGES + i);
    }
    return out;
  }

  /** A copy sharing every leaf: whichever side changes a leaf first copies it. */
  copy(): PageTable {
    const c = new PageTable();
    for (const [l, leaf] of this.leaves) {
      leaf.shared = true;
      c.leaves.set(l, leaf);
    }
    c.size = this.size;
    return c;
  }

  /** Leaf `l`, made if absent and copied if shared, to change. */
  private writable(l: number): Leaf {
    let leaf = this.leaves.get(l);
    if (!leaf) {
      leaf = { slots: new Array(LEAF_PAGES).fill(undefined), count: 0, shared: false };
      this.leaves.set(l, leaf);
    } else if (leaf.shared) {
      leaf = { slots: leaf.slots.slice(), count: leaf.count, shared: false };
      this.leaves.set(l, leaf);
    }
    return leaf;
  }
}
