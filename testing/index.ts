// fadump-sim/testing: property-test the dump headers in your own tests. Bring fast-check (a peer
// dependency); the arbitraries generate scenario files, so a counterexample replays with
// `fadump-sim run`.
//
//   import fc from 'fast-check';
//   import { arbitraries, runScenarioFile } from 'fadump-sim/testing';
//   await fc.assert(fc.asyncProperty(arbitraries.mutatedDump('pseries'), async (s) => { ... }));

export * as arbitraries from './arbitraries.ts';
export {
  type CampaignOptions,
  type CaseResult,
  caseSeed,
  counterexampleYaml,
  runCampaign,
  runCase,
  shardCases,
} from './campaign.ts';
export { PROPERTIES, type PropertyDef, propertyByName, UNCHECKED_BY_LINUX } from './properties.ts';
