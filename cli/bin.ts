// Entry point of the bundled CLI (dist/cli.mjs).
import { hideBin } from 'yargs/helpers';
import { main } from './main.ts';

await main(hideBin(process.argv));
