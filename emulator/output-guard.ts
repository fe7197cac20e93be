// The one switch an interrupted process throws so that no new output file is started: every writer
// checks it before creating its temporary file, and the command line's SIGINT/SIGTERM handler sets
// it, then removes the temporary files already there.

export const outputGuard = { stopped: false };

/** Throws when the process is being interrupted (the caller's work is being cut short anyway). */
export function assertWritable(path: string): void {
  if (outputGuard.stopped) throw new Error(`interrupted: not starting ${path}`);
}
