// node:zlib in the browser build: the kdump-compressed writer and reader deflate and inflate one page
// at a time, synchronously, which the browser's CompressionStream (asynchronous) cannot do; fflate
// writes and reads the same zlib streams (RFC 1950) in plain JavaScript.

import { unzlibSync, zlibSync } from 'fflate';

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export function deflateSync(data: Uint8Array, options: { level?: number } = {}): Uint8Array {
  return zlibSync(data, { level: (options.level ?? 6) as Level });
}

export function inflateSync(data: Uint8Array): Uint8Array {
  return unzlibSync(data);
}
