// One temporary directory per test run: every test's mkdtemp(tmpdir()) lands under it (TMPDIR is
// inherited by the test workers and the CLIs they spawn), and it is removed at the end — the sparse
// vmcores add up. FADUMP_SIM_KEEP_TMP=1 keeps it for a look.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'fadump-sim-test-'));
  // Traversable by others (each test's own mkdtemp directory stays 0700): the output-error test runs
  // the CLI as nobody in a directory below it.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (process.env.FADUMP_SIM_KEEP_TMP !== '1') rmSync(root, { recursive: true, force: true });
  };
}
