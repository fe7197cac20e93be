// The kdump service's save step in the fadump kernel, once /proc/vmcore is ready: an unfiltered ELF
// copy (`cp /proc/vmcore`), or makedumpfile at a dump level, which reads every page frame's struct
// page through /proc/vmcore (dump/page-filter.ts) and writes the pages it keeps, kdump-compressed
// (-c) or as ELF (-E). When makedumpfile fails (VMCOREINFO lacks what the filter needs, or an ELF
// would need more program headers than we write), the service copies /proc/vmcore instead, as
// Debian's kdump-tools falls back to cp.

import type { DumpTarget } from '../dump/dump-file.ts';
import { FilteredElfError } from '../dump/elf-writer.ts';
import { DUMP_FORMATS, type DumpFormatName } from '../dump/formats.ts';
import { filterPages, imageFilterMemory, PageFilterError } from '../dump/page-filter.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';

export interface SavedDump {
  /** The format written: the one asked for, or elf when makedumpfile failed. */
  format: DumpFormatName;
  bytes: number;
  /** Why the dump was saved otherwise than asked. */
  warning?: string;
}

export async function saveDump(
  path: DumpTarget,
  image: DumpImage,
  format: DumpFormatName,
  level: number,
): Promise<SavedDump> {
  if (format === 'elf' && level === 0)
    return { format, bytes: await DUMP_FORMATS.elf.write(path, image, { level: 0 }) };
  try {
    const { excluded } = filterPages(imageFilterMemory(image), level);
    return { format, bytes: await DUMP_FORMATS[format].write(path, image, { level, excluded }) };
  } catch (e) {
    if (!(e instanceof PageFilterError || e instanceof FilteredElfError)) throw e;
    return {
      format: 'elf',
      bytes: await DUMP_FORMATS.elf.write(path, image, { level: 0 }),
      warning: `makedumpfile ${format === 'elf' ? '-E ' : ''}-d ${level}: ${e.message} The unfiltered /proc/vmcore was copied instead.`,
    };
  }
}
