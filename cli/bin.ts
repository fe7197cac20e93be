// Entry point of the bundled CLI (dist/cli.mjs).
import { hideBin } from 'yargs/helpers';
import { OutputError } from '../api/options.ts';
import { failOnInternalError, failOnOutputError, interrupted } from './fail.ts';
import { main } from './main.ts';

// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await main(hideBin(process.argv));
} catch (e) {
  // Work cut short by SIGINT/SIGTERM fails as its files vanish; the handler exits with 130/143.
  if (interrupted()) {
    // The interrupt handler exits.
  } else if (e instanceof OutputError) failOnOutputError(e);
  else failOnInternalError(e);
}
