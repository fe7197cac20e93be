// The lab's compare mode: the seed's story told on one clock. The scenario's memory events run
// under Linux 6.9, which builds the elfcorehdr at registration and is re-registered by udev for every
// memory event, and under 6.15, which builds it in the fadump kernel and sets hotplug_ready; both
// timelines are drawn on one axis (registered, the windows a re-registration leaves fadump
// unregistered, the uevents, the 6.9 elfcorehdr against the room its buffer has), and a crash at a
// moment the learner picks runs both again to say what each would have dumped.

import {
  ConfigError,
  esc,
  type KernelName,
  type RunOptions,
  registrationSpans,
  runScenario,
  type SimEvent,
  type Span,
  seconds as secs,
  UNREGISTERED_HATCH,
  validateRunOptions,
} from '../api/index.ts';
import type { LabCheck } from './model.ts';

/** The two kernels compared: the last release before the 6.10 change, and the newest. */
export const COMPARED: readonly { kernel: KernelName; label: string }[] = [
  { kernel: '6.9', label: 'Linux 6.9 (before the 6.10 change)' },
  { kernel: 'resilient', label: 'Linux 6.15 (6.10 and later)' },
];

/** One kernel's first boot, up to its crash. */
export interface CompareSide {
  label: string;
  registered: Span[];
  /** When a re-registration had fadump unregistered. */
  windows: Span[];
  /** Memory uevents: when, and what. */
  uevents: { t: bigint; text: string }[];
  /** The elfcorehdr each registration built in the first kernel (before 6.10 only). */
  elfcorehdrs: { t: bigint; bytes: number; room: number }[];
  reRegistrations: number;
  /** Where the lane ends: the end of the axis. */
  crashAt: bigint;
}

/** What a crash at one moment gives under each kernel. */
export interface CompareOutcome {
  at: bigint;
  dump: { status: string; reason?: string }[];
}

export interface Comparison {
  sides: CompareSide[];
  /**
   * The axis: from a little before the first kernel is up (the boot before it is the same for both
   * and takes most of the time) to a little past the moment both have settled.
   */
  start: bigint;
  end: bigint;
  /** When the first kernel is up and registered: the earliest moment a crash can be asked for. */
  earliest: bigint;
  /** The scenario's own crash, under each kernel. */
  outcome: CompareOutcome;
}

const optionsFor = (o: RunOptions, kernel: KernelName): RunOptions => ({
  ...o,
  kernel,
  captureKernel: kernel,
  title: kernel,
});

/** The first boot's events, up to the crash. */
function firstBoot(events: readonly SimEvent[]): SimEvent[] {
  const crash = events.findIndex((e) => e.kind === 'panic' || e.kind === 'nmi');
  return crash < 0 ? [...events] : events.slice(0, crash + 1);
}

function sideOf(label: string, events: readonly SimEvent[]): CompareSide {
  const first = firstBoot(events);
  const crashAt = first.at(-1)!.t;
  const { registered, windows } = registrationSpans(first, crashAt);
  const side: CompareSide = {
    label,
    registered,
    windows,
    uevents: [],
    elfcorehdrs: [],
    reRegistrations: first.filter((e) => e.kind === 'fadump-registered').length - 1,
    crashAt,
  };
  for (const e of first) {
    if (e.kind === 'uevent')
      side.uevents.push({ t: e.t, text: `memory${e.detail.block} ${e.detail.action}` });
    if (e.kind === 'elfcorehdr-built')
      side.elfcorehdrs.push({ t: e.t, bytes: e.detail.bytes, room: e.detail.room });
  }
  return side;
}

/** Both kernels crashing as `o` says: what each dump came to. */
async function outcomeOf(
  o: RunOptions,
  at?: bigint,
): Promise<{ outcome: CompareOutcome; events: SimEvent[][] }> {
  const dump: CompareOutcome['dump'] = [];
  const events: SimEvent[][] = [];
  let crashAt = 0n;
  for (const { kernel } of COMPARED) {
    const run = optionsFor(o, kernel);
    try {
      validateRunOptions(run);
    } catch (e) {
      if (e instanceof ConfigError) throw new Error(e.message);
      throw e;
    }
    const r = await runScenario(run, null);
    const d = r.summary.cycles[0]!.dump;
    dump.push({ status: d.status, ...(d.reason ? { reason: d.reason } : {}) });
    const all = r.machine.events.events;
    events.push(all);
    const crash = all.find((e) => e.kind === 'panic' || e.kind === 'nmi');
    if (crash && crash.t > crashAt) crashAt = crash.t;
  }
  return { outcome: { at: at ?? crashAt, dump }, events };
}

/** The scenario's memory events with no crash point: they run to the end and udev settles. */
const untilSettled = (o: RunOptions): RunOptions => {
  const { crashAtTime: _t, crashAtEvent: _e, ...rest } = o;
  return rest;
};

/**
 * Runs the comparison of the checked scenario: the timelines, and its own crash's outcome. The
 * timelines come from both kernels crashing once udev has handled every memory event; nothing
 * changes after that, so each lane is drawn on to the end of the axis as it was then.
 */
export async function runComparison(check: Extract<LabCheck, { ok: true }>): Promise<Comparison> {
  const { outcome: last, events } = await outcomeOf(untilSettled(check.options));
  const settled = last.at;
  const end = settled + settled / 10n + 1n;
  const sides = events.map((ev, i) => {
    const side = sideOf(COMPARED[i]!.label, ev);
    const final = side.registered.at(-1);
    if (final?.to === side.crashAt) final.to = end;
    side.crashAt = end;
    return side;
  });
  const earliest = sides.reduce(
    (m, s) => (s.registered[0] && s.registered[0].from > m ? s.registered[0].from : m),
    0n,
  );
  // With no crash point of its own, the scenario crashes once udev has settled: that run's outcome.
  const own = check.options.crashAtTime !== undefined || check.options.crashAtEvent !== undefined;
  const outcome = own ? (await outcomeOf(check.options)).outcome : last;
  const before = (end - earliest) / 20n;
  return { sides, start: earliest > before ? earliest - before : 0n, end, earliest, outcome };
}

/** Both kernels crashing at `at` (ns since power-on) instead of where the scenario crashes. */
export async function crashAt(check: Extract<LabCheck, { ok: true }>, at: bigint): Promise<CompareOutcome> {
  const { crashAtEvent: _e, ...o } = check.options;
  return (await outcomeOf({ ...o, crashAtTime: at }, at)).outcome;
}

// Drawing: one SVG, the two kernels one above the other on the same axis.
const W = 960;
const LEFT = 170;
const px = (v: number) => v.toFixed(1);

/** The comparison as an SVG: per kernel, a lane of uevents, of registration and (6.9) of elfcorehdrs. */
export function compareSvg(c: Comparison, pick?: bigint): string {
  const x = (t: bigint) => LEFT + (Number(t - c.start) / Number(c.end - c.start)) * (W - LEFT - 10);
  const parts: string[] = [UNREGISTERED_HATCH];
  let y = 8;
  for (const [i, s] of c.sides.entries()) {
    parts.push(`<text class="side" x="0" y="${y + 12}">${esc(s.label)}</text>`);
    y += 20;
    const lane = (name: string) => {
      parts.push(
        `<text class="lane-name" x="8" y="${y + 14}">${esc(name)}</text><line class="lane" x1="${LEFT}" x2="${W - 10}" y1="${y + 10}" y2="${y + 10}"/>`,
      );
    };
    lane('memory uevents');
    // Uevents on the same half pixel are one tick that says how many it stands for.
    const ticks = new Map<number, { t: bigint; n: number; first: string; last: string }>();
    for (const u of s.uevents) {
      const k = Math.round(x(u.t) * 2);
      const b = ticks.get(k);
      if (b) {
        b.n++;
        b.last = u.text;
      } else ticks.set(k, { t: u.t, n: 1, first: u.text, last: u.text });
    }
    for (const b of ticks.values())
      parts.push(
        `<line class="uevent" x1="${px(x(b.t))}" x2="${px(x(b.t))}" y1="${y}" y2="${y + 20}" data-count="${b.n}"><title>${esc(b.n === 1 ? `${b.first} at ${secs(b.t)}` : `${b.n} uevents, ${b.first} … ${b.last}, from ${secs(b.t)}`)}</title></line>`,
      );
    y += 26;
    lane('fadump registered');
    const rect = (cls: string, sp: Span, title: string) =>
      `<rect class="${cls}" x="${px(x(sp.from))}" y="${y}" width="${px(Math.max(1.5, x(sp.to) - x(sp.from)))}" height="20" data-from="${sp.from}" data-to="${sp.to}" data-side="${i}"><title>${esc(title)}</title></rect>`;
    for (const sp of s.registered)
      parts.push(rect('registered', sp, `registered ${secs(sp.from)} – ${secs(sp.to)}`));
    for (const sp of s.windows)
      parts.push(
        rect('unregistered', sp, `unregistered while udev re-registers, ${secs(sp.from)} – ${secs(sp.to)}`),
      );
    parts.push(
      `<text class="count" x="${W - 10}" y="${y - 3}" text-anchor="end">${s.reRegistrations} re-registration${s.reRegistrations === 1 ? '' : 's'}</text>`,
    );
    y += 26;
    if (s.elfcorehdrs.length) {
      lane('elfcorehdr / its room');
      const most = Math.max(...s.elfcorehdrs.map((h) => Math.max(h.bytes, h.room)));
      for (const h of s.elfcorehdrs) {
        const hgt = Math.max(1, (h.bytes / most) * 20);
        const over = h.bytes > h.room;
        parts.push(
          `<rect class="elfcorehdr${over ? ' over' : ''}" x="${px(x(h.t) - 1.5)}" y="${px(y + 20 - hgt)}" width="3" height="${px(hgt)}" data-bytes="${h.bytes}" data-room="${h.room}"><title>${esc(`elfcorehdr built at ${secs(h.t)}: ${h.bytes} bytes, room for ${h.room}${over ? ` — ${h.bytes - h.room} bytes past the reserved area` : ''}`)}</title></rect>`,
        );
      }
      const room = s.elfcorehdrs[0]!.room;
      const ry = y + 20 - (room / most) * 20;
      parts.push(
        `<line class="room" x1="${LEFT}" x2="${W - 10}" y1="${px(ry)}" y2="${px(ry)}"><title>the room the reserved area leaves the elfcorehdr: ${room} bytes</title></line>`,
      );
      y += 26;
    }
    y += 6;
  }
  parts.push(
    `<text class="axis" x="${LEFT}" y="${y + 10}">${esc(secs(c.start))}</text><text class="axis" x="${W - 10}" y="${y + 10}" text-anchor="end">${esc(secs(c.end))} (simulated)</text>`,
  );
  if (pick !== undefined)
    parts.push(
      `<line id="compare-cursor" class="cursor" x1="${px(x(pick))}" x2="${px(x(pick))}" y1="4" y2="${y}" data-t="${pick}"><title>${esc(`the crash asked for, at ${secs(pick)}`)}</title></line>`,
    );
  return `<svg id="compare-svg" class="compare" viewBox="0 0 ${W} ${y + 16}" width="${W}" role="img" aria-label="both kernels on one clock" data-left="${LEFT}" data-right="${W - 10}" data-start="${c.start}" data-end="${c.end}">${parts.join('')}</svg>`;
}

/** The time at a point of the SVG's x axis (in its own units), within the axis. */
export function timeAt(c: Comparison, svgX: number): bigint {
  const f = Math.min(1, Math.max(0, (svgX - LEFT) / (W - LEFT - 10)));
  return c.start + BigInt(Math.round(f * Number(c.end - c.start)));
}
