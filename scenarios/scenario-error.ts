// A scenario that cannot be read: its own module, so code that only catches it (the command line's
// checks) does not load the scenario language.

/** A scenario file or name that cannot be used; the message names the file, line and column. */
export class ScenarioError extends Error {}
