// fadump-sim as a library: build and run scenarios from code, read scenario files, and draw or
// inspect what a run produced. The command line is built on exactly this.
//
//   import { Scenario } from 'fadump-sim';
//   const { summary } = await Scenario.create({ kernel: 'legacy' }).boot().hotAdd(8).crashAt({ event: 3 }).run('out');

export type { SimEvent } from '../emulator/events.ts';
export { ConfigError } from '../emulator/memory-blocks.ts';
export { type CrashPoint, Scenario } from '../scenarios/builder.ts';
export { type MemoryMap, memoryMap } from '../scenarios/memory-map.ts';
export { renderReport } from '../scenarios/report.ts';
export {
  type AfterCapture,
  type CycleSummary,
  DEFAULT_RUN,
  type DumpStatus,
  type MemoryStep,
  type RunHooks,
  type RunOptions,
  type RunResult,
  runScenario,
  type Summary,
  validateRunOptions,
} from '../scenarios/run.ts';
export {
  checkExpectations,
  libraryScenarios,
  parseScenario,
  resolveScenario,
  SCENARIO_SCHEMA,
  ScenarioError,
  type ScenarioFile,
  toBuilder,
} from '../scenarios/scenario-file.ts';
export {
  type Corruption,
  fieldsOf,
  STRUCT_NAMES,
  STRUCTS_BY_PLATFORM,
  type StructName,
} from '../scenarios/structures.ts';
