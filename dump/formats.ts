// The dump formats, by name: how a dump image becomes a file and how the file is read back. A new
// format is one writer, one reader and one line here.

import type { DumpImage } from '../kernel-model/dump-image.ts';
import { type DumpTarget, openDumpFile } from './dump-file.ts';
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
  /**
   * Writes the image to `target` (a path: under a temporary name, then renamed; or a file in
   * memory); returns the file's size.
   */
  write(target: DumpTarget, image: DumpImage, options: DumpWriteOptions): Promise<number>;
  open(target: DumpTarget): DumpReader;
}

export const DUMP_FORMATS = {
  /** An ELF core: as copying /proc/vmcore gives it (level 0), or as `makedumpfile -E -d LEVEL` writes it. */
  elf: {
    write: (target: DumpTarget, image: DumpImage, o: DumpWriteOptions) =>
      o.level === 0
        ? writeElfCore(target, image)
        : writeFilteredElf(target, image, o.level, o.excluded ?? []),
    open: openElfDump,
  },
  /** kdump-compressed, as `makedumpfile -c -d LEVEL` writes it. */
  kdump: {
    write: async (target, image, o) => (await writeKdump(target, image, o)).fileSize,
    open: openKdumpDump,
  },
} as const satisfies Record<string, DumpFormat>;

export type DumpFormatName = keyof typeof DUMP_FORMATS;

/** The format of the dump file, from its first bytes; undefined when it is none we read. */
export function formatOf(target: DumpTarget): DumpFormatName | undefined {
  const file = openDumpFile(target);
  try {
    const magic = new Uint8Array(8);
    file.read(magic, 0);
    return isElf(magic) ? 'elf' : isKdump(magic) ? 'kdump' : undefined;
  } finally {
    file.close();
  }
}

/** Reads a dump through its format's reader and closes it; `use` sees the open reader. */
export function withDump<T>(target: DumpTarget, format: DumpFormatName, use: (r: DumpReader) => T): T {
  const r = DUMP_FORMATS[format].open(target);
  try {
    return use(r);
  } finally {
    r.close();
  }
}
