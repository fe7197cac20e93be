// string-width for the command-line bundle (scripts/build.mjs aliases the package to this file).
// yargs lays out --help with string-width, whose modules build Unicode-property regexes (RGI_Emoji
// with the v flag) and an Intl.Segmenter as they load: about 35 ms of every start, help or not. This
// one builds nothing up front: printable ASCII is its length; other text is measured per code point
// (control and combining marks 0, East Asian wide and fullwidth ranges 2, the rest 1), which is what
// help text and progress bars need. CommonJS, so both `import` (yargs) and `require` (cli-progress)
// get the function.
'use strict';

// ANSI escape sequences (colours, cursor moves: what yargs and cli-progress print); built from a
// string because they begin with control characters.
const [ESC, CSI, BEL] = [0x1b, 0x9b, 0x07].map((c) => String.fromCharCode(c));
const ANSI = new RegExp(
  `[${ESC}${CSI}][[\\]()#;?]*(?:\\d{1,4}(?:[;:]\\d{0,4})*)?[\\dA-PR-TZcf-nq-uy=><~]|${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)`,
  'g',
);
/** East Asian Wide and Fullwidth blocks (Unicode UAX #11), as [first, last] code points. */
const WIDE = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];
let zeroWidth;

function stringWidth(text, options = {}) {
  if (typeof text !== 'string' || text.length === 0) return 0;
  const s = options.countAnsiEscapeCodes ? text : text.replace(ANSI, '');
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  zeroWidth ??= /^[\p{Cc}\p{Cf}\p{Mn}\p{Me}\p{Default_Ignorable_Code_Point}]$/u;
  let width = 0;
  for (const ch of s) {
    if (zeroWidth.test(ch)) continue;
    const cp = ch.codePointAt(0);
    width += WIDE.some(([a, b]) => cp >= a && cp <= b) ? 2 : 1;
  }
  return width;
}

module.exports = stringWidth;
module.exports.default = stringWidth;
