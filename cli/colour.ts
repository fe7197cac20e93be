// Colour on a terminal, for people: never when the output is piped, never with NO_COLOR set (any
// value but the empty string, https://no-color.org) or TERM=dumb; FORCE_COLOR turns it on.

const env = process.env;
const enabled =
  env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'
    ? true
    : !env.NO_COLOR && env.TERM !== 'dumb' && process.stdout.isTTY === true;

const sgr = (code: number) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);

export const paint = {
  enabled,
  good: sgr(32),
  bad: sgr(31),
  bold: sgr(1),
  /** A dump status: captured green, refused and not-triggered red. */
  status: (s: string) => (s === 'captured' ? sgr(32)(s) : sgr(31)(s)),
};
