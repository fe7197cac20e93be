// The dump formats, by name: how a dump image becomes a file and how the file is read back. A new
// format is one writer, one reader and one line here.

import { closeSync, openSync, readSync } from 'node:fs';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import type { DumpReader } from './dump-reader.ts';
import { openElfDump } from './elf-reader.ts';
import { writeElfCore } from './elf-writer.ts';

export interface DumpFormat {
  /** Writes the image to `path` (under a temporary name, then renamed); returns the file's size. */
  write(path: string, image: DumpImage): Promise<number>;
  open(path: string): DumpReader;
}

export const DUMP_FORMATS = {
  elf: { write: writeElfCore, open: openElfDump },
} as const satisfies Record<string, DumpFormat>;

export type DumpFormatName = keyof typeof DUMP_FORMATS;

/** The format of the dump file at `path`, from its first bytes; undefined when it is none we read. */
export function formatOf(path: string): DumpFormatName | undefined {
  const fd = openSync(path, 'r');
  try {
    const magic = new Uint8Array(4);
    readSync(fd, magic, 0, 4, 0);
    return magic[0] === 0x7f && magic[1] === 0x45 && magic[2] === 0x4c && magic[3] === 0x46
      ? 'elf'
      : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Reads a dump through its format's reader and closes it; `use` sees the open reader. */
export function withDump<T>(path: string, format: DumpFormatName, use: (r: DumpReader) => T): T {
  const r = DUMP_FORMATS[format].open(path);
  try {
    return use(r);
  } finally {
    r.close();
  }
}
