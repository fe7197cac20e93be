// The global Buffer in the browser build: the model uses three of its static methods, on plain
// Uint8Arrays, which these do the same way.

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  // Pages compare four bytes at a time where both sides are aligned, up to the first difference.
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, n >>> 2);
    const wb = new Uint32Array(b.buffer, b.byteOffset, n >>> 2);
    while (i < wa.length && wa[i] === wb[i]) i++;
    i *= 4;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const Buffer = { compare, concat, allocUnsafe: (n: number) => new Uint8Array(n) };
