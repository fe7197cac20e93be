// A table of NUL-terminated strings, each stored once and named by its offset: a DTB's strings
// block, an ELF .strtab/.shstrtab (which start with an empty string) and DWARF's .debug_str.

export class StringTable {
  private parts: Uint8Array[] = [];
  private offsets = new Map<string, number>();
  private encoder = new TextEncoder();
  size = 0;

  /** `leadingEmpty`: offset 0 is the empty string, as ELF string tables require. */
  constructor(leadingEmpty = false) {
    if (leadingEmpty) this.add('');
  }

  /** The offset of `s`, added at the end the first time it is asked for. */
  add(s: string): number {
    let off = this.offsets.get(s);
    if (off === undefined) {
      off = this.size;
      const b = this.encoder.encode(`${s}\0`);
      this.parts.push(b);
      this.size += b.length;
      this.offsets.set(s, off);
    }
    return off;
  }

  /** The offset of a string already added. */
  offsetOf(s: string): number | undefined {
    return this.offsets.get(s);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
