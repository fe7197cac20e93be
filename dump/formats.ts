// The dump formats, by name: how a dump image becomes a file and how the file is read back. A new
// format is one writer, one reader and one line here.

import { closeSync, openSync, readSync } from 'node:fs';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import type { DumpReader } from './dump-reader.ts';
import { isElf, openElfDump } from './elf-reader.ts';
import { writeElfCore, writeFilteredElf } from './elf-writer.ts';
import type { PfnRange } from './image-memory.ts';
import { isKdump, openKdumpDump } from './kdump-reader.ts';
import { writeKdump } from './kdump-writer.ts';

export interface DumpWriteOptions {
  /** makedumpfile's dump level (-d): what the page filter left out is in `excluded`. */
  level: number;
  excluded?: readonly PfnRange[];
}

export interface DumpFormat {
  /** Writes the image to `path` (under a temporary name, then renamed); returns the file's size. */
  write(path: string, image: DumpImage, options: DumpWriteOptions): Promise<number>;
  open(path: string): DumpReader;
}

export const DUMP_FORMATS = {
  /** An ELF core: as copying /proc/vmcore gives it (level 0), or as `makedumpfile -E -d LEVEL` writes it. */
  elf: {
    write: (path: string, image: DumpImage, o: DumpWriteOptions) =>
      o.level === 0 ? writeElfCore(path, image) : writeFilteredElf(path, image, o.level, o.excluded ?? []),
    open: openElfDump,
  },
  /** kdump-compressed, as `makedumpfile -c -d LEVEL` writes it. */
  kdump: {
    write: async (path, image, o) => (await writeKdump(path, image, o)).fileSize,
    open: openKdumpDump,
  },
} as const satisfies Record<string, DumpFormat>;

export type DumpFormatName = keyof typeof DUMP_FORMATS;

/** The format of the dump file at `path`, from its first bytes; undefined when it is none we read. */
export function formatOf(path: string): DumpFormatName | undefined {
  const fd = openSync(path, 'r');
  try {
    const magic = new Uint8Array(8);
    readSync(fd, magic, 0, 8, 0);
    return isElf(magic) ? 'elf' : isKdump(magic) ? 'kdump' : undefined;
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
