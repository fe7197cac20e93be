// The model without the scenario-file language: build and run scenarios from code, read dumps, draw
// or inspect what a run produced. The command line's `run`, `inspect` and `explain` load only this
// (not the YAML parser and the schema validator); api/index.ts adds the scenario files.

export { type DumpTarget, MemoryFile } from '../dump/dump-file.ts';
export type { DumpContents, DumpCpuNote, DumpLoad, DumpReader } from '../dump/dump-reader.ts';
export { DumpFileError } from '../dump/dump-reader.ts';
export type { ElfDumpContents } from '../dump/elf-reader.ts';
export { DUMP_FORMATS, type DumpFormatName, formatOf, withDump } from '../dump/formats.ts';
export type { KdumpContents } from '../dump/kdump-reader.ts';
export { DISK_DUMP_HEADER, KDUMP_SUB_HEADER } from '../dump/kdump-structs.ts';
export { VMLINUX_STRUCTS, type VmlinuxOptions, writeVmlinux } from '../dump/vmlinux-writer.ts';
export type { DtNode } from '../emulator/device-tree.ts';
export { DtbError, decodeDtb } from '../emulator/dtb.ts';
export type { SimEvent } from '../emulator/events.ts';
export { fmtSize } from '../emulator/machine.ts';
export { ConfigError } from '../emulator/memory-blocks.ts';
export { ELF64_EHDR, ELF64_PHDR } from '../kernel-model/elf.ts';
export { type CrashPoint, Scenario } from '../scenarios/builder.ts';
export { EventLog } from '../scenarios/event-log.ts';
export { checkExpectations } from '../scenarios/expectations.ts';
export { saveDump } from '../scenarios/kdump-service.ts';
export { formatMemoryMap, type MemoryMap, memoryMap } from '../scenarios/memory-map.ts';
export { narrate } from '../scenarios/narration.ts';
export { reportHtml, writeBytes } from '../scenarios/outputs.ts';
export {
  esc,
  registrationSpans,
  renderReport,
  type Span,
  seconds,
  UNREGISTERED_HATCH,
} from '../scenarios/report.ts';
export {
  type CycleSummary,
  type DumpStatus,
  type RunHooks,
  type RunResult,
  runScenario,
  type Summary,
  validateRunOptions,
  writeReport,
} from '../scenarios/run.ts';
export { machineConfig } from '../scenarios/run-checks.ts';
export { ScenarioError } from '../scenarios/scenario-error.ts';
export {
  type Corruption,
  fieldsOf,
  STRUCT_NAMES,
  STRUCTS_BY_PLATFORM,
  type StructName,
} from '../scenarios/structures.ts';
export {
  bytesText,
  type PageTable,
  pageTable,
  pageTableText,
  type Verdict,
  verdict,
} from '../scenarios/summary.ts';
export {
  type BlockPages,
  type CrashTruth,
  compareMemory,
  type DumpPages,
  type DumpSide,
  isExact,
  type Verification,
  verifyDump,
  verifyProblems,
} from '../scenarios/verify.ts';
export * from './options.ts';
