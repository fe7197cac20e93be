// A worker thread of `fadump-sim check`: runs the cases it is given and posts each result.

import { parentPort, workerData } from 'node:worker_threads';
import { injectFaults, runCase } from '../testing/campaign.ts';
import { propertyByName } from '../testing/properties.ts';

interface Job {
  property: string;
  seed: number;
  cases: number[];
  faults: string[];
}

const job = workerData as Job;
injectFaults(job.faults);
const p = propertyByName(job.property)!;
for (const index of job.cases) parentPort!.postMessage(await runCase(p, job.seed, index));
