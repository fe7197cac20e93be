// Entry point of the bundled CLI (dist/cli.mjs).
import { hideBin } from 'yargs/helpers';
import { main } from './main.ts';

// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

await main(hideBin(process.argv));
