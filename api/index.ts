// fadump-sim as a library: build and run scenarios from code, read scenario files, and draw or
// inspect what a run produced. The command line is built on exactly this.
//
//   import { Scenario } from 'fadump-sim';
//   const { summary } = await Scenario.create({ kernel: 'legacy' }).boot().hotAdd(8).crashAt({ event: 3 }).run('out');

export { libraryScenarios, resolveScenario } from '../scenarios/library.ts';
export {
  configErrorAt,
  parseScenario,
  SCENARIO_SCHEMA,
  type ScenarioFile,
  toBuilder,
} from '../scenarios/scenario-file.ts';
export * from './core.ts';
