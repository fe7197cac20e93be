// DIR/report.html: one self-contained page (no scripts, no network) showing a run for people —
// an SVG memory map per phase, an SVG timeline of memory events, registrations, the crash and the
// capture, the annotated structures, the consoles and the outcome.

import type { SimEvent } from '../emulator/events.ts';
import { fmtSize } from '../emulator/machine.ts';
import type { Access } from '../emulator/physical-memory.ts';
import { KERNEL_VBASE } from '../kernel-model/symbols.ts';
import { GLOSSARY, KDUMP_VS_FADUMP, spellings } from './glossary.ts';
import { type AreaKind, approxSize, type MemoryMap } from './memory-map.ts';
import { narrate } from './narration.ts';
import type { RunOptions, Summary } from './run.ts';
import type { AnnotatedStruct, Corruption } from './structures.ts';
import { pageTable, verdict } from './summary.ts';
import { citeUpstream, printedBy, upstreamOf } from './upstream.ts';

export interface ReportInput {
  title: string;
  options: RunOptions;
  summary: Summary;
  maps: readonly MemoryMap[];
  events: readonly SimEvent[];
  structures: readonly AnnotatedStruct[];
  /** Expectations that failed (empty: all held or none given). */
  failed?: readonly string[];
}

const W = 960;

/** Text made safe for HTML and attribute values. */
export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const hex = (v: number) => `0x${v.toString(16)}`;
const px = (v: number) => (Math.round(v * 10) / 10).toString();
/** Simulated time (ns) in seconds, to the millisecond: "1.505 s". */
export const seconds = (t: bigint) => `${(Number(t) / 1e9).toFixed(3)} s`;

/**
 * The pattern unregistered windows are filled with (`url(#hatch-unregistered)`; classes hatch-bg and
 * hatch-line), so that they do not depend on telling red from green.
 */
export const UNREGISTERED_HATCH =
  '<defs><pattern id="hatch-unregistered" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>';

const AREA_LABEL: Record<AreaKind, string> = {
  'boot-memory': 'boot memory',
  reserved: 'reserved area',
  'cpu-state': 'CPU state',
  'boot-copy': 'boot memory copy',
  header: 'crash info header',
  elfcorehdr: 'elfcorehdr',
  metadata: 'kernel metadata',
  'param-area': 'additional parameters',
  preserved: 'kept for the dump',
  firmware: 'firmware memory',
};

/** One phase: the address space to scale, the areas beneath it, and the reserved area zoomed. */
export function memoryMapSvg(m: MemoryMap): string {
  const x = (a: number) => (a / m.end) * W;
  const width = (base: number, size: number) => Math.max(1.5, x(base + size) - x(base));
  const parts: string[] = [];
  parts.push(`<text x="0" y="12" class="axis">0x0</text>`);
  parts.push(
    `<text x="${W}" y="12" class="axis" text-anchor="end">${esc(hex(m.end))} (${fmtSize(m.end)})</text>`,
  );
  for (const b of m.blocks) {
    parts.push(
      `<rect class="block ${b.state}" x="${px(x(b.base))}" y="18" width="${px(width(b.base, b.size))}" height="34"><title>${esc(`${hex(b.base)} +${approxSize(b.size)} ${b.state}`)}</title></rect>`,
    );
  }
  const reserved = m.areas.find((a) => a.kind === 'reserved');
  const inReserved = (a: { base: number }) =>
    reserved !== undefined && a.base >= reserved.base && a.base < reserved.base + reserved.size;
  // On the address line: the large areas, and any part outside the reserved area (the fadump
  // kernel's elfcorehdr lives in boot memory), drawn after what it lies in.
  const outer = m.areas.filter(
    (a) => ['boot-memory', 'reserved', 'firmware', 'preserved'].includes(a.kind) || !inReserved(a),
  );
  for (const a of outer) {
    parts.push(
      `<rect class="area ${a.kind}" data-kind="${a.kind}" x="${px(x(a.base))}" y="58" width="${px(width(a.base, a.size))}" height="16"><title>${esc(`${a.label}: ${hex(a.base)} +${approxSize(a.size)}`)}</title></rect>`,
    );
  }
  let height = 84;
  if (reserved) {
    // The reserved area drawn schematically below: each part at least wide enough for its label.
    const inner = m.areas
      .filter((a) => !['boot-memory', 'reserved', 'firmware'].includes(a.kind))
      .filter((a) => a.base >= reserved.base && a.base < reserved.base + reserved.size)
      .sort((a, b) => a.base - b.base);
    const minW = 110;
    const total = inner.reduce((s, a) => s + a.size, 0) || 1;
    const room = W - minW * inner.length;
    const widths = inner.map((a) => minW + Math.max(0, room) * (a.size / total));
    const scale =
      W /
      Math.max(
        W,
        widths.reduce((s, w) => s + w, 0),
      );
    const y = 118;
    parts.push(
      `<path class="zoom" d="M${px(x(reserved.base))},74 L0,${y} M${px(x(reserved.base) + width(reserved.base, reserved.size))},74 L${W},${y}"/>`,
    );
    parts.push(`<rect class="area reserved zoomed" x="0" y="${y}" width="${W}" height="40"/>`);
    // Two drawings of it, one shown at a time (the page's "to scale" switch): each part wide enough
    // for its label, in address order; or each part where it lies, as wide as it is.
    const schematic: string[] = [
      `<text class="axis" x="${W}" y="${y + 52}" text-anchor="end">the reserved area, enlarged: parts in address order, not to scale</text>`,
    ];
    let at = 0;
    inner.forEach((a, i) => {
      const w = widths[i]! * scale;
      schematic.push(
        `<rect class="area ${a.kind}" data-kind="${a.kind}" x="${px(at)}" y="${y}" width="${px(w)}" height="40"><title>${esc(`${a.label}: ${hex(a.base)} +${approxSize(a.size)}`)}</title></rect>`,
        `<text class="label" x="${px(at + 4)}" y="${y + 17}">${esc(AREA_LABEL[a.kind])}</text>`,
        `<text class="label small" x="${px(at + 4)}" y="${y + 32}">${esc(`${hex(a.base)} ${approxSize(a.size)}`)}</text>`,
      );
      at += w;
    });
    const sx = (addr: number) => ((addr - reserved.base) / reserved.size) * W;
    const scaled: string[] = [
      `<text class="axis" x="${W}" y="${y + 52}" text-anchor="end">the reserved area, enlarged to scale: ${esc(hex(reserved.base))} +${esc(approxSize(reserved.size))}</text>`,
    ];
    for (const a of inner) {
      const w = Math.max(1, sx(a.base + a.size) - sx(a.base));
      scaled.push(
        `<rect class="area ${a.kind}" data-kind="${a.kind}" data-base="${a.base}" data-size="${a.size}" x="${px(sx(a.base))}" y="${y}" width="${px(w)}" height="40"><title>${esc(`${a.label}: ${hex(a.base)} +${approxSize(a.size)}`)}</title></rect>`,
        // A label only where it fits.
        ...(w > 90
          ? [`<text class="label" x="${px(sx(a.base) + 4)}" y="${y + 17}">${esc(AREA_LABEL[a.kind])}</text>`]
          : []),
      );
    }
    parts.push(
      `<g class="zoom-schematic">${schematic.join('')}</g>`,
      `<g class="zoom-scaled">${scaled.join('')}</g>`,
    );
    height = y + 58;
  }
  for (const c of m.copies) {
    const from = x(c.from + c.size / 2);
    const to = x(c.to + c.size / 2);
    parts.push(
      `<path class="copy" marker-end="url(#arrow)" d="M${px(from)},74 C${px(from)},104 ${px(to)},104 ${px(to)},76"><title>${esc(`firmware copies ${hex(c.from)} +${approxSize(c.size)} to ${hex(c.to)}`)}</title></path>`,
    );
  }
  return `<svg class="memory-map" data-phase="${esc(m.phase)}" data-end="${m.end}" viewBox="0 -2 ${W} ${height + 2}" width="${W}" role="img" aria-label="${esc(`memory map: ${m.phase}`)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>
${parts.join('\n')}
</svg>`;
}

export interface Span {
  from: bigint;
  to: bigint;
}

/** The run on one time axis: lanes for memory events, fadump registration, firmware and boots. */
/**
 * When fadump was registered, per boot, and the windows a re-registration left it unregistered (up
 * to the crash that cut one short, or to `end`).
 */
export function registrationSpans(
  events: readonly SimEvent[],
  end: bigint,
): { registered: Span[]; windows: Span[] } {
  const registered: Span[] = [];
  const windows: Span[] = [];
  let since: bigint | undefined;
  let gap: bigint | undefined;
  for (const e of events) {
    if (e.kind === 'fadump-registered') {
      since ??= e.t;
      if (gap !== undefined) windows.push({ from: gap, to: e.t });
      gap = undefined;
    } else if (e.kind === 'fadump-unregistered') {
      if (since !== undefined) registered.push({ from: since, to: e.t });
      since = undefined;
      gap = e.t;
    } else if (['panic', 'nmi', 'reset', 'boot'].includes(e.kind)) {
      if (since !== undefined) registered.push({ from: since, to: e.t });
      // A re-registration cut short by the crash: unregistered until then.
      if (gap !== undefined) windows.push({ from: gap, to: e.t });
      since = undefined;
      gap = undefined;
    }
  }
  if (since !== undefined) registered.push({ from: since, to: end });
  if (gap !== undefined) windows.push({ from: gap, to: end });
  return { registered, windows };
}

/** Round times between t0 and t1 (ns), 4 to 10 of them: 1, 2 or 5 times a power of ten apart. */
export function niceTicks(t0: number, t1: number): number[] {
  const span = Math.max(1, t1 - t0);
  let step = 10 ** Math.floor(Math.log10(span / 4));
  for (const k of [1, 2, 5, 10]) if (span / (step * k) <= 10) return ticksEvery(t0, t1, step * k);
  step *= 10;
  return ticksEvery(t0, t1, step);
}

function ticksEvery(t0: number, t1: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

/** A tick's label: seconds, with as many decimals as the step needs (at most nine). */
function tickText(t: number): string {
  const s = t / 1e9;
  for (let d = 0; d <= 9; d++) if (Math.abs(Number(s.toFixed(d)) - s) < 1e-12) return `${s.toFixed(d)} s`;
  return `${s.toFixed(9)} s`;
}

export function timelineSvg(events: readonly SimEvent[]): string {
  let end = 1n;
  for (const e of events) if (e.t > end) end = e.t;
  const left = 150;
  const x = (t: bigint) => left + (Number(t) / Number(end)) * (W - left - 10);
  const lanes = ['boots', 'memory events', 'fadump registered', 'firmware calls', 'crash and dump'];
  const laneY = (i: number) => 24 + i * 30;
  const parts: string[] = [UNREGISTERED_HATCH];
  parts.push(
    ...lanes.map(
      (name, i) =>
        `<text class="lane-name" x="0" y="${laneY(i) + 14}">${esc(name)}</text><line class="lane" x1="${left}" x2="${W - 10}" y1="${laneY(i) + 10}" y2="${laneY(i) + 10}"/>`,
    ),
  );
  const { registered, windows } = registrationSpans(events, end);
  const span = (cls: string, lane: number, s: Span, title: string) =>
    `<rect class="${cls}" x="${px(x(s.from))}" y="${laneY(lane)}" width="${px(Math.max(1.5, x(s.to) - x(s.from)))}" height="20" data-from="${s.from}" data-to="${s.to}"><title>${esc(title)}</title></rect>`;
  for (const s of registered)
    parts.push(span('registered', 2, s, `registered ${seconds(s.from)} – ${seconds(s.to)}`));
  for (const s of windows)
    parts.push(
      span(
        'unregistered-window',
        2,
        s,
        `unregistered for re-registration ${seconds(s.from)} – ${seconds(s.to)}`,
      ),
    );
  /** A label beside time t, on the left of it near the right edge so it is not cut off. */
  const label = (cls: string, lane: number, t: bigint, text: string) => {
    const near = x(t) > W - 70;
    return `<text class="label ${cls}" x="${px(x(t) + (near ? -3 : 3))}" y="${laneY(lane) + 14}"${near ? ' text-anchor="end"' : ''} data-t="${t}">${esc(text)}</text>`;
  };
  const tick = (cls: string, lane: number, t: bigint, title: string, h = 20, attrs = '') =>
    `<line class="${cls}"${attrs} x1="${px(x(t))}" x2="${px(x(t))}" y1="${laneY(lane)}" y2="${laneY(lane) + h}" data-t="${t}"><title>${esc(title)}</title></line>`;
  // Memory uevents and firmware calls come by the thousand in a bulk event: those that fall on the
  // same half pixel of a lane are one tick, which says how many it stands for (data-count).
  const buckets = new Map<
    string,
    {
      cls: string;
      lane: number;
      h: number;
      first: SimEvent;
      last: SimEvent;
      titles: [string, string];
      n: number;
    }
  >();
  const bulk = (cls: string, lane: number, e: SimEvent, title: string, h = 20) => {
    const key = `${cls}|${lane}|${Math.round(x(e.t) * 2)}`;
    const b = buckets.get(key);
    if (b) {
      b.n++;
      b.last = e;
      b.titles[1] = title;
    } else buckets.set(key, { cls, lane, h, first: e, last: e, titles: [title, title], n: 1 });
  };
  for (const e of events) {
    switch (e.kind) {
      case 'boot':
        parts.push(
          tick('boot', 0, e.t, `boot ${e.detail.boot} at ${seconds(e.t)}`),
          label('small', 0, e.t, `boot ${e.detail.boot}`),
        );
        break;
      case 'uevent':
        bulk(`uevent ${e.detail.action}`, 1, e, `${e.detail.action} memory${e.detail.block}`);
        break;
      case 'call':
      case 'opal-call':
        bulk('fw-call', 3, e, `${e.detail.name} -> ${e.detail.status}`, 12);
        break;
      case 'panic':
      case 'nmi': {
        const what =
          e.kind === 'nmi'
            ? `NMI, CPU ${e.detail.cpu} first into fadump`
            : `panic on CPU ${e.detail.cpu}: ${e.detail.message}`;
        parts.push(
          `<line class="crash" x1="${px(x(e.t))}" x2="${px(x(e.t))}" y1="16" y2="${laneY(4) + 22}" data-t="${e.t}"><title>${esc(`${what} at ${seconds(e.t)}`)}</title></line>`,
          label('crash-label', 4, e.t, e.kind === 'nmi' ? 'NMI' : 'crash'),
        );
        break;
      }
      case 'dump-processed':
      case 'mpipl-dump':
        parts.push(tick('dump', 4, e.t, `firmware took the dump at ${seconds(e.t)}`));
        break;
      case 'vmcore-ready':
        parts.push(
          tick(
            'capture',
            4,
            e.t,
            `the fadump kernel built the elfcorehdr: /proc/vmcore ready at ${seconds(e.t)}`,
          ),
          label('small', 4, e.t, 'vmcore'),
        );
        break;
      case 'dump-refused':
        parts.push(tick('refused', 4, e.t, `the fadump kernel refused the dump: ${e.detail.reason}`));
        break;
      case 'reset':
        parts.push(tick('reset', 0, e.t, `reset keeping memory at ${seconds(e.t)}`));
        break;
      case 'corrupt':
        parts.push(
          tick('corrupt', 4, e.t, `(injected) ${e.detail.what} at ${seconds(e.t)}`),
          label('small corrupt-label', 4, e.t, 'corrupt'),
        );
        break;
    }
  }
  for (const b of buckets.values()) {
    const title =
      b.n === 1
        ? `${b.titles[0]} at ${seconds(b.first.t)}`
        : `${b.n} events, ${b.titles[0]} … ${b.titles[1]}, ${seconds(b.first.t)} – ${seconds(b.last.t)}`;
    parts.push(tick(b.cls, b.lane, b.first.t, title, b.h, ` data-count="${b.n}"`));
  }
  // Each memory event's own label ("memory18 add, online"), one per place on the axis, drawn where
  // the last one drawn leaves room (the page's zoom draws more).
  const marks = new Map<number, { t: bigint; n: number; block: number; actions: string[] }>();
  for (const b of buckets.values()) {
    if (b.lane !== 1 || b.first.kind !== 'uevent') continue;
    const key = Math.round(x(b.first.t) * 2);
    const m = marks.get(key);
    if (!m)
      marks.set(key, { t: b.first.t, n: b.n, block: b.first.detail.block, actions: [b.first.detail.action] });
    else {
      m.n += b.n;
      if (b.first.detail.block !== m.block) m.block = -1;
      m.actions.push(b.first.detail.action);
    }
  }
  let lastLabel = Number.NEGATIVE_INFINITY;
  for (const m of [...marks.values()].sort((a, b) => (a.t < b.t ? -1 : 1))) {
    const roomy = x(m.t) - lastLabel > 90;
    if (roomy) lastLabel = x(m.t);
    const words =
      m.n === m.actions.length && m.block >= 0
        ? `memory${m.block} ${m.actions.join(', ')}`
        : `${m.n} uevents`;
    const text = label('small event-label', 1, m.t, words);
    parts.push(roomy ? text : text.replace('<text ', '<text visibility="hidden" '));
  }
  const height = laneY(lanes.length) + 10;
  // The time axis: ticks at a round step, labelled (the page's script draws them again when zoomed).
  const axis = niceTicks(0, Number(end)).map(
    (t) =>
      `<line class="axis-tick" x1="${px(x(BigInt(t)))}" x2="${px(x(BigInt(t)))}" y1="${height - 16}" y2="${height - 12}"/><text class="axis" x="${px(x(BigInt(t)))}" y="${height - 2}" text-anchor="middle">${esc(tickText(t))}</text>`,
  );
  parts.push(`<g id="axis">${axis.join('')}</g>`);
  // The player's cursor (hidden until a step is shown) and the scale it is placed by.
  parts.push(
    `<line id="cursor" class="cursor" x1="${left}" x2="${left}" y1="16" y2="${height - 14}" visibility="hidden"/>`,
  );
  return `<svg class="timeline" viewBox="0 0 ${W} ${height}" width="${W}" role="img" aria-label="timeline" data-left="${left}" data-right="${W - 10}" data-end="${end}" data-t0="0" data-t1="${end}" data-height="${height}">
${parts.join('\n')}
</svg>`;
}

/** One step of the report's player: an event in words, and the memory map in effect then. */
export interface PlayerStep {
  /** Simulated time, ns. */
  t: number;
  text: string;
  /** The index of the memory map drawn for this moment (the last phase begun), -1 before the first. */
  phase: number;
  /** Events the step stands for: a bulk memory event's uevents are one step. */
  count: number;
  /** A firmware call's: the guest memory it read and wrote. */
  touched?: Access[];
  /** Where upstream the behaviour comes from (upstream.ts): "Linux crash_fadump() (arch/…)". */
  from?: string;
}

/**
 * The steps of a run, in order: every narrated event, a run of uevents with nothing else between
 * them (a bulk memory event's) folded into one step at the first one's time.
 */
export function playerSteps(events: readonly SimEvent[], maps: readonly MemoryMap[]): PlayerStep[] {
  const steps: (PlayerStep & { uevents?: { first: number; last: number; actions: string[] } })[] = [];
  for (const e of events) {
    const text = narrate(e);
    if (text === undefined) continue;
    const last = steps[steps.length - 1];
    if (e.kind === 'uevent' && last?.uevents) {
      const u = last.uevents;
      last.count++;
      u.last = e.detail.block;
      if (!u.actions.includes(e.detail.action)) u.actions.push(e.detail.action);
      last.text = `${last.count} uevents: memory${u.first} … memory${u.last} (${u.actions.join(', ')})`;
      continue;
    }
    let phase = -1;
    maps.forEach((m, i) => {
      if (m.t <= e.t) phase = i;
    });
    const touched = e.kind === 'call' || e.kind === 'opal-call' ? e.detail.touched : undefined;
    const upstream = upstreamOf(e);
    steps.push({
      t: Number(e.t),
      text,
      phase,
      count: 1,
      ...(touched?.length && { touched }),
      ...(upstream.length && { from: citeUpstream(upstream) }),
      ...(e.kind === 'uevent' && {
        uevents: { first: e.detail.block, last: e.detail.block, actions: [e.detail.action] },
      }),
    });
  }
  return steps.map(({ uevents: _, ...step }) => step);
}

/**
 * The timeline's zoom: ×4 in or out about the player's cursor (or the middle), every mark placed
 * again by its time (data-t, data-from/data-to), the axis ticked at a round step, and the memory
 * events' own labels shown where they do not overlap. Plain script in the page.
 */
const TIMELINE_SCRIPT = `
(() => {
  const svg = document.querySelector('svg.timeline');
  if (!svg || !document.getElementById('tl-in')) return;
  const left = Number(svg.dataset.left), right = Number(svg.dataset.right), end = Number(svg.dataset.end);
  const height = Number(svg.dataset.height);
  const NS = 'http://www.w3.org/2000/svg';
  const secs = (t) => {
    const s = t / 1e9;
    for (let d = 0; d <= 9; d++) if (Math.abs(Number(s.toFixed(d)) - s) < 1e-12) return s.toFixed(d) + ' s';
    return s.toFixed(9) + ' s';
  };
  const ticks = (t0, t1) => {
    const span = Math.max(1, t1 - t0);
    let step = Math.pow(10, Math.floor(Math.log10(span / 4)));
    for (const k of [1, 2, 5, 10]) if (span / (step * k) <= 10) { step *= k; break; }
    const out = [];
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
    return out;
  };
  const place = () => {
    const t0 = Number(svg.dataset.t0), t1 = Number(svg.dataset.t1);
    const x = (t) => left + ((t - t0) / (t1 - t0)) * (right - left);
    const inside = (t) => t >= t0 && t <= t1;
    svg.querySelectorAll('[data-from]').forEach((r) => {
      const a = Math.max(t0, Number(r.dataset.from)), b = Math.min(t1, Number(r.dataset.to));
      r.setAttribute('visibility', b < a ? 'hidden' : 'visible');
      r.setAttribute('x', x(a).toFixed(1));
      r.setAttribute('width', Math.max(1.5, x(b) - x(a)).toFixed(1));
    });
    const shown = new Map();
    svg.querySelectorAll('line[data-t], text[data-t]').forEach((e) => {
      const t = Number(e.dataset.t);
      if (e.tagName === 'line') {
        e.setAttribute('x1', x(t).toFixed(1));
        e.setAttribute('x2', x(t).toFixed(1));
        e.setAttribute('visibility', inside(t) ? 'visible' : 'hidden');
        return;
      }
      const near = x(t) > right - 60;
      e.setAttribute('x', (x(t) + (near ? -3 : 3)).toFixed(1));
      e.setAttribute('text-anchor', near ? 'end' : 'start');
      // A memory event's label only where the last one shown in its lane leaves room.
      let show = inside(t);
      if (show && e.classList.contains('event-label')) {
        const last = shown.get('event');
        show = last === undefined || x(t) - last > 90;
        if (show) shown.set('event', x(t));
      }
      e.setAttribute('visibility', show ? 'visible' : 'hidden');
    });
    const axis = document.getElementById('axis');
    axis.replaceChildren();
    for (const t of ticks(t0, t1)) {
      const line = document.createElementNS(NS, 'line');
      line.setAttribute('class', 'axis-tick');
      line.setAttribute('x1', x(t).toFixed(1));
      line.setAttribute('x2', x(t).toFixed(1));
      line.setAttribute('y1', String(height - 16));
      line.setAttribute('y2', String(height - 12));
      const text = document.createElementNS(NS, 'text');
      text.setAttribute('class', 'axis');
      text.setAttribute('x', x(t).toFixed(1));
      text.setAttribute('y', String(height - 2));
      text.setAttribute('text-anchor', 'middle');
      text.textContent = secs(t);
      axis.append(line, text);
    }
    document.getElementById('tl-range').textContent =
      t0 === 0 && t1 === end ? 'the whole run, ' + secs(end) : 'from ' + secs(t0) + ' to ' + secs(t1) + ' of ' + secs(end);
  };
  const zoom = (by) => {
    const t0 = Number(svg.dataset.t0), t1 = Number(svg.dataset.t1);
    const cursor = document.getElementById('cursor');
    const c = cursor && cursor.dataset.t && cursor.getAttribute('visibility') !== 'hidden' ? Number(cursor.dataset.t) : (t0 + t1) / 2;
    const span = Math.min(end, Math.max(1000, (t1 - t0) * by));
    let a = Math.max(0, c - span / 2);
    const b = Math.min(end, a + span);
    a = Math.max(0, b - span);
    svg.dataset.t0 = String(Math.round(a));
    svg.dataset.t1 = String(Math.round(b));
    place();
  };
  document.getElementById('tl-in').onclick = () => zoom(1 / 4);
  document.getElementById('tl-out').onclick = () => zoom(4);
  document.getElementById('tl-all').onclick = () => {
    svg.dataset.t0 = '0';
    svg.dataset.t1 = String(end);
    place();
  };
  place();
})();
`;

/**
 * The player: step or play through the run, the timeline's cursor and the memory map in effect
 * following; the step is in the URL (#step=N). Plain script in the page: no network, no library.
 */
const PLAYER_SCRIPT = `
(() => {
  const toScale = document.getElementById('to-scale');
  if (toScale) toScale.onchange = () => document.body.classList.toggle('to-scale', toScale.checked);
  if (!document.getElementById('player-steps')) return;
  const steps = JSON.parse(document.getElementById('player-steps').textContent);
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector('svg.timeline');
  const left = Number(svg.dataset.left), right = Number(svg.dataset.right), end = Number(svg.dataset.end);
  const phases = [...document.querySelectorAll('section.phase')];
  const scrub = $('scrub');
  let at = -1, timer = 0;
  const show = (i, fromHash) => {
    at = Math.max(0, Math.min(steps.length - 1, i));
    const s = steps[at];
    $('step-time').textContent = (s.t / 1e9).toFixed(6) + ' s';
    $('step-text').textContent = s.text;
    $('step-upstream').textContent = s.from ? 'Upstream: ' + s.from : '';
    $('counter').textContent = (at + 1) + ' / ' + steps.length;
    scrub.value = String(at);
    const t0 = Number(svg.dataset.t0), t1 = Number(svg.dataset.t1);
    const x = left + ((s.t - t0) / (t1 - t0)) * (right - left);
    const cursor = $('cursor');
    cursor.dataset.t = String(s.t);
    cursor.setAttribute('x1', x.toFixed(1));
    cursor.setAttribute('x2', x.toFixed(1));
    cursor.setAttribute('visibility', s.t < t0 || s.t > t1 ? 'hidden' : 'visible');
    phases.forEach((p, j) => {
      p.classList.toggle('current', j === s.phase);
      p.classList.toggle('dimmed', j !== s.phase);
    });
    // The structures as they were at this step's map (the crash's where there is no other view).
    const views = [...document.querySelectorAll('div.structures')];
    const view = views.find((v) => Number(v.dataset.index) === s.phase) || views[0];
    views.forEach((v) => (v.hidden = v !== view));
    const named = view && phases[Number(view.dataset.index)];
    $('structures-phase').textContent =
      view && view !== views[0] && named
        ? 'As they were at the map of this step, "' + named.dataset.phase + '".'
        : 'As the fadump kernel found them after the crash.';
    // A firmware call's reads and writes: said, marked on the map in effect and on the structures.
    document.querySelectorAll('rect.touched').forEach((r) => r.remove());
    document.querySelectorAll('details.touched').forEach((d) => d.classList.remove('touched'));
    const touched = s.touched || [];
    const hex = (v) => '0x' + v.toString(16);
    $('step-touched').textContent = touched.length
      ? touched.map((a) => (a.write ? 'writes ' : 'reads ') + hex(a.addr) + ' +' + a.len + ' bytes').join('; ')
      : '';
    const map = s.phase < 0 ? null : phases[s.phase].querySelector('svg.memory-map');
    for (const a of touched) {
      if (map) {
        const end = Number(map.dataset.end), w = 960;
        const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
        r.setAttribute('class', 'touched ' + (a.write ? 'write' : 'read'));
        r.setAttribute('x', ((a.addr / end) * w).toFixed(1));
        r.setAttribute('y', '16');
        r.setAttribute('width', String(Math.max(3, (a.len / end) * w)));
        r.setAttribute('height', '38');
        r.dataset.addr = String(a.addr);
        const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
        title.textContent = (a.write ? 'the call wrote ' : 'the call read ') + hex(a.addr) + ' +' + a.len + ' bytes';
        r.appendChild(title);
        map.appendChild(r);
      }
      document.querySelectorAll('details.structure[data-addr], details.structure-then[data-addr]').forEach((d) => {
        const at = Number(d.dataset.addr), size = Number(d.dataset.size);
        if (a.addr < at + size && at < a.addr + a.len) d.classList.add('touched');
      });
    }
    $('phase-note').textContent = s.phase < 0 ? 'No memory map yet: the first is drawn once fadump registers.' : 'Memory map in effect: ' + phases[s.phase].dataset.phase + '.';
    if (fromHash) return;
    // In a frame (the lab's, whose report is about:srcdoc), the address is the page's: it is told.
    if (window.parent !== window) window.parent.postMessage({ fadumpSimStep: at + 1 }, '*');
    else history.replaceState(null, '', '#step=' + (at + 1));
  };
  const stop = () => {
    clearInterval(timer);
    timer = 0;
    $('play').textContent = 'Play';
    $('play').setAttribute('aria-pressed', 'false');
  };
  const play = () => {
    if (timer) return stop();
    if (at === steps.length - 1) show(0);
    $('play').textContent = 'Pause';
    $('play').setAttribute('aria-pressed', 'true');
    timer = setInterval(() => (at < steps.length - 1 ? show(at + 1) : stop()), 600);
  };
  const fromHash = () => {
    const m = /^#step=(\\d+)$/.exec(location.hash);
    if (m) show(Number(m[1]) - 1, true);
  };
  $('first').onclick = () => show(0);
  $('prev').onclick = () => show(at - 1);
  $('next').onclick = () => show(at + 1);
  $('last').onclick = () => show(steps.length - 1);
  $('play').onclick = play;
  scrub.oninput = () => show(Number(scrub.value));
  document.addEventListener('keydown', (e) => {
    if (e.target === scrub || e.altKey || e.ctrlKey || e.metaKey || e.target.classList.contains('pointer')) return;
    const keys = { ArrowRight: () => show(at + 1), ArrowLeft: () => show(at - 1), Home: () => show(0), End: () => show(steps.length - 1), ' ': play };
    const k = keys[e.key];
    if (k && !(e.key === ' ' && e.target instanceof HTMLButtonElement)) {
      e.preventDefault();
      k();
    }
  });
  // An address field of a structure: where it points, marked on the map in effect (else at the crash).
  const point = (el) => {
    document.querySelectorAll('rect.pointed').forEach((r) => r.remove());
    const addr = Number(el.dataset.points);
    const section = phases.find((p) => p.classList.contains('current')) || phases.find((p) => p.dataset.phase === 'crash') || phases[0];
    const map = section && section.querySelector('svg.memory-map');
    const note = $('pointer-note');
    if (!map || addr > Number(map.dataset.end)) {
      note.textContent = el.dataset.field + ' = 0x' + addr.toString(16) + ': outside the memory map';
      return;
    }
    const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    r.setAttribute('class', 'pointed');
    r.setAttribute('x', ((addr / Number(map.dataset.end)) * 960 - 1.5).toFixed(1));
    r.setAttribute('y', '12');
    r.setAttribute('width', '3');
    r.setAttribute('height', '66');
    r.dataset.addr = String(addr);
    map.appendChild(r);
    note.textContent = el.dataset.field + ' = 0x' + addr.toString(16) + ': marked on the memory map "' + section.dataset.phase + '"';
    section.scrollIntoView({ block: 'center' });
  };
  document.querySelectorAll('.pointer').forEach((el) => {
    el.addEventListener('click', () => point(el));
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        e.stopPropagation();
        point(el);
      }
    });
  });
  window.addEventListener('hashchange', fromHash);
  // The page around the frame names a step to show (the lab, opened at an address with one).
  window.addEventListener('message', (e) => {
    if (e.source === window.parent && e.data && typeof e.data.fadumpSimGoTo === 'number') show(e.data.fadumpSimGoTo - 1, true);
  });
  if (location.hash) fromHash();
})();
`;

/** The player's controls and its steps, as JSON the script reads. */
function playerSection(steps: readonly PlayerStep[]): string {
  if (steps.length === 0) return '';
  // </script> cannot occur in JSON.stringify output once '<' is escaped.
  const json = JSON.stringify(steps).replaceAll('<', '\\u003c');
  return `<section id="player" aria-label="step through the run">
<h2>Step through it</h2>
<p>Each step is one event (a bulk memory event's uevents are one step). Keys: → next, ← previous, Home, End, space plays; the step is in the address bar, to link to.</p>
<div class="controls"><button id="first" type="button">First</button><button id="prev" type="button" aria-label="previous step">◀ Previous</button><button id="play" type="button" aria-pressed="false">Play</button><button id="next" type="button" aria-label="next step">Next ▶</button><button id="last" type="button">Last</button>
<input id="scrub" type="range" min="0" max="${steps.length - 1}" value="0" aria-label="step"><span id="counter" aria-live="polite">${steps.length} steps</span></div>
<p class="step"><code id="step-time"></code> <span id="step-text">Press Next or → to start.</span></p>
<p id="step-upstream" class="small-note"></p>
<p id="step-touched" class="small-note"></p>
<p id="phase-note" class="small-note"></p>
<script type="application/json" id="player-steps">${json}</script>
</section>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #1d2329; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccd; }
pre { background: #f5f6f8; padding: 8px; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; } td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
.outcome.captured { color: #17692b; } .outcome.refused, .outcome.not-triggered, .failed { color: #a0161b; }
svg text { font: 11px system-ui, sans-serif; fill: #1d2329; } svg .small { font-size: 10px; fill: #45505a; }
.axis { fill: #6b7682; } .lane { stroke: #dde; } .lane-name { font-weight: 600; }
.block.online { fill: #9fd3a6; stroke: #fff; stroke-width: 0.5; } .block.offline { fill: #f2cf7d; stroke: #fff; stroke-width: 0.5; }
.block.unassigned { fill: #e4e6ea; stroke: #fff; stroke-width: 0.5; }
.area.boot-memory { fill: #4a7fc1; } .area.reserved { fill: #8a5cc2; } .area.firmware { fill: #59636e; }
.area.zoomed { fill: #efe8f8; } .area.cpu-state { fill: #c9b3e6; } .area.boot-copy { fill: #dacdf0; }
.area.header { fill: #e4a0c8; } .area.elfcorehdr { fill: #f5c16c; } .area.metadata { fill: #b7d3f0; } .area.param-area { fill: #9ed9a8; }
.area.preserved { fill: #9fb8d6; fill-opacity: 0.6; }
.zoom { stroke: #8a5cc2; stroke-dasharray: 3 3; fill: none; } .copy { stroke: #4a7fc1; fill: none; stroke-width: 1.5; }
.arrowhead { fill: #4a7fc1; }
.registered { fill: #9fd3a6; } .unregistered-window { fill: url(#hatch-unregistered); stroke: #8a1c14; }
.hatch-bg { fill: #f7d6d1; } .hatch-line { stroke: #8a1c14; stroke-width: 2.5; }
.uevent { stroke: #4a7fc1; stroke-width: 1.5; } .uevent.offline, .uevent.remove { stroke: #c98a12; }
.fw-call { stroke: #59636e; } .boot, .reset { stroke: #1d2329; stroke-width: 1.5; } .dump { stroke: #8a5cc2; stroke-width: 3; }
.capture { stroke: #17692b; stroke-width: 3; } .refused { stroke: #d0201f; stroke-width: 3; }
.corrupt { stroke: #b45f06; stroke-width: 3; stroke-dasharray: 3 2; } mark.corrupted { background: #ffd8a8; color: #5c2b00; }
.crash { stroke: #d0201f; stroke-width: 2; } .crash-label { fill: #d0201f; font-weight: 600; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: -2px; }
#player .controls { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
#player button { font: inherit; padding: 3px 10px; } #player input[type=range] { flex: 1; min-width: 200px; }
#player .step { min-height: 2.9em; font-size: 15px; } .small-note { color: #45505a; font-size: 13px; }
p.cite { color: #45505a; font-size: 13px; margin: 0.2em 0; } p.cite cite { font-style: normal; font-family: ui-monospace, monospace; }
.cursor { stroke: #1d2329; stroke-width: 2; stroke-dasharray: 4 2; }
.console .from { color: #5b6670; font-style: italic; }
.axis-tick { stroke: #6b7680; } .zoom-controls button { font: inherit; padding: 2px 8px; } .event-label { fill: #2c5f9e; }
rect.touched { fill: none; stroke-width: 3; } rect.touched.read { stroke: #1f6feb; } rect.touched.write { stroke: #d0201f; stroke-dasharray: 4 2; }
details.structure.touched, details.structure-then.touched { outline: 3px solid #1f6feb; outline-offset: 2px; }
.zoom-scaled { display: none; } body.to-scale .zoom-scaled { display: inline; } body.to-scale .zoom-schematic { display: none; }
.pointer { text-decoration: underline dotted; cursor: pointer; }
a.term { color: inherit; text-decoration: underline dotted; } #glossary dt { font-weight: 600; margin-top: 8px; } #glossary dd { margin-left: 16px; } rect.pointed { fill: #1d2329; }
section.phase.dimmed { opacity: 0.4; } section.phase.current h3::after { content: '  ◀ now'; color: #1d2329; }
:focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
`;

const LEGEND = [
  ['#9fd3a6', 'online memory block'],
  ['#f2cf7d', 'offline'],
  ['#e4e6ea', 'not assigned'],
  ['#4a7fc1', 'boot memory'],
  ['#8a5cc2', 'fadump reserved area'],
  ['#59636e', 'firmware memory'],
  ['#9fb8d6', 'kept for the dump (fadump kernel)'],
  ['#f5c16c', 'elfcorehdr'],
]
  .map(([c, t]) => `<span style="background:${c}"></span>${t}`)
  .join('');

/** The outcome in one sentence: what happened to the dump, and why when there is none. */
function outcomeSentence(c: Summary['cycles'][number]): string {
  const v = verdict(c);
  switch (c.dump.status) {
    case 'captured':
      return v.ok
        ? 'The dump was captured, exact.'
        : `The dump was captured but is not right: ${v.verify[0]}.`;
    case 'refused':
      return `The fadump kernel refused the dump: ${c.dump.reason ?? ''}`.replace(/\.?$/, '.');
    default:
      return `No dump: ${c.dump.reason ?? 'fadump was not registered when the kernel crashed'}`.replace(
        /\.?$/,
        '.',
      );
  }
}

/**
 * An annotated structure, escaped, with each field a `corrupt` step damaged marked: the line of that
 * field in the entry it names, highlighted and labelled.
 */
function markCorrupted(
  st: {
    name: string;
    text: string;
    docs?: Readonly<Record<string, string>>;
    before?: { text: string };
  },
  corrupt: readonly Corruption[],
): string {
  // The value a damaged line held before: what the first kernel wrote, which the fadump kernel checks.
  const was = st.before?.text.split('\n');
  const wasValue = (i: number) => {
    const line = was?.[i];
    return line === undefined ? '' : line.slice(NAME_COLUMN).trim().split(/\s+/).slice(1).join(' ');
  };
  const lines = st.text.split('\n');
  const marked = new Set<number>();
  for (const c of corrupt.filter((x) => x.struct === st.name)) {
    const field = new RegExp(`^\\s+\\+[0-9a-f]+\\s.*\\s${c.field.replace(/[^\w]/g, '')}\\s`);
    const at = lines.flatMap((l, i) => (field.test(l) ? [i] : []))[c.entry ?? 0];
    if (at !== undefined) marked.add(at);
  }
  return lines
    .map((l, i) =>
      marked.has(i)
        ? `<mark class="corrupted">${esc(l)}  ← corrupted${wasValue(i) ? ` (the first kernel wrote ${esc(wasValue(i))})` : ''}</mark>`
        : fieldLine(l, st.docs ?? {}),
    )
    .join('\n');
}

/** Where an annotated line's field name starts (the layout of StructDef.annotate). */
const NAME_COLUMN = 58;

/**
 * A line of an annotated structure: its field's meaning as a tooltip; a control when the field is
 * an address (by its name) that lies in memory, so that the player marks where it points on the
 * memory map. A kernel virtual address (0xc000…) points at its physical address.
 */
/** The characters of a u64 written MSB-first, when they are printable ASCII (NULs after them allowed). */
function asciiOf(hex16: string): string | undefined {
  const bytes = (hex16.match(/../g) ?? []).map((h) => Number.parseInt(h, 16));
  const text = bytes.slice(0, bytes.findLastIndex((b) => b !== 0) + 1);
  if (text.length < 3 || text.some((b) => b < 0x20 || b > 0x7e)) return undefined;
  return String.fromCharCode(...text);
}

function fieldLine(line: string, docs: Readonly<Record<string, string>>): string {
  if (!/^\s+\+[0-9a-f]{4}\s/.test(line)) return esc(line);
  const name = line.slice(NAME_COLUMN).split(/\s+/)[0] ?? '';
  const doc = docs[name];
  const title = doc ? ` title="${esc(`${name}: ${doc}`)}"` : '';
  // A u64 that is text packed MSB-first (a magic number, a register id): its characters beside it.
  const packed = /\s0x([0-9a-f]{16})\s*$/.exec(line);
  const chars = packed ? asciiOf(packed[1]!) : undefined;
  if (chars) line = `${line}  "${chars}"`;
  const m = /^\w*(?:addr|address|dest|src|start|base)\w*$/.test(name)
    ? /\s(0x[0-9a-f]+)\s*$/.exec(line)
    : null;
  const v = m ? BigInt(m[1]!) : 0n;
  const phys = v >= KERNEL_VBASE ? v - KERNEL_VBASE : v;
  if (phys === 0n || phys > BigInt(Number.MAX_SAFE_INTEGER))
    return `<span class="field" data-field="${esc(name)}"${title}>${esc(line)}</span>`;
  return `<span class="field pointer" role="button" tabindex="0" data-field="${esc(name)}" data-points="${phys}"${title}>${esc(line)}</span>`;
}

/** The dump's pages per memory block, from summary.dump.pages, and its size on disk. */
function pagesSection(c: Summary['cycles'][number]): string {
  const t = pageTable(c);
  if (!t) return '';
  const cells = (r: string[], tag: string) =>
    `<tr>${r.map((v) => `<${tag}>${esc(v)}</${tag}>`).join('')}</tr>`;
  return `<h2>Pages in the dump</h2>
<p>${esc(t.size)}. Pages per memory block, read back from the dump file: kept (a kdump file keeps its zero pages, stored once; an ELF leaves them out), and left out by why, as makedumpfile's report counts them.</p>
<table class="pages">${cells(t.head, 'th')}${t.rows
    .slice(0, -1)
    .map((r) => cells(r, 'td'))
    .join(
      '',
    )}${t.more ? `<tr><td colspan="${t.head.length}">… ${t.more} more runs of blocks</td></tr>` : ''}${cells(t.rows[t.rows.length - 1]!, 'th')}</table>`;
}

/**
 * Text with the first use in the page of each glossary term linked to its entry (`seen` holds the
 * terms already linked); escaped.
 */
function withTerms(text: string, seen: Set<string>): string {
  const found: { at: number; len: number; id: string }[] = [];
  for (const e of GLOSSARY) {
    if (seen.has(e.id)) continue;
    for (const sp of spellings(e)) {
      const m = new RegExp(`(?<![\\w-])${sp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).exec(text);
      if (!m || found.some((f) => m.index < f.at + f.len && f.at < m.index + sp.length)) continue;
      found.push({ at: m.index, len: sp.length, id: e.id });
      seen.add(e.id);
      break;
    }
  }
  let out = '';
  let at = 0;
  for (const f of found.sort((a, b) => a.at - b.at)) {
    out += `${esc(text.slice(at, f.at))}<a class="term" href="#glossary-${f.id}">${esc(text.slice(f.at, f.at + f.len))}</a>`;
    at = f.at + f.len;
  }
  return out + esc(text.slice(at));
}

/** The glossary at the end of the page, and kdump against fadump. */
function glossarySection(): string {
  return `<section id="glossary"><h2>Glossary</h2>
<dl>${GLOSSARY.map((e) => `<dt id="glossary-${e.id}">${esc(e.term)}${e.also ? ` <small>(${esc(e.also.join(', '))})</small>` : ''}</dt><dd>${esc(e.text)} <small>Source: ${esc(e.source)}.</small></dd>`).join('')}</dl>
<h3>kdump and fadump</h3>
<table class="kdump-fadump"><tr><th></th><th>kdump</th><th>fadump</th></tr>${KDUMP_VS_FADUMP.map((row) => `<tr>${row.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`).join('')}</table>
</section>`;
}

/** Console lines, each the kernel printed from a function the table knows followed by its name. */
function consoleText(lines: readonly string[]): string {
  return lines
    .map((l) => {
      const fn = printedBy(l);
      return fn
        ? `${esc(l)}  <span class="from" data-from="${fn}" title="${esc(citeUpstream([fn]))}">← ${fn}()</span>`
        : esc(l);
    })
    .join('\n');
}

/** One annotated structure as a block of the page: its title, citation, fields and long-table entries. */
function structureBlock(st: AnnotatedStruct, corrupt: readonly Corruption[], cls: string): string {
  const at = st.at ? ` data-addr="${st.at.addr}" data-size="${st.at.size}"` : '';
  const more = st.more
    ? `<details class="more"><summary>all ${st.count} entries</summary><pre>${st.more
        .split('\n')
        .map((l) => fieldLine(l, st.docs))
        .join('\n')}</pre></details>`
    : '';
  return `<details open class="${cls}" data-struct="${esc(st.name)}"${at}><summary>${esc(st.title)}</summary>${citation(st)}<pre>${markCorrupted(st, corrupt)}</pre>${more}</details>`;
}

/**
 * The anchor GitHub gives a heading of a Markdown file: lower case, spaces as hyphens, punctuation
 * other than hyphens and underscores dropped.
 */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Where a structure's layout is in the project (docs/structures.md) and where it comes from upstream. */
function citation(st: AnnotatedStruct): string {
  const at = `docs/structures.md#${headingAnchor(st.layout)}`;
  return `<p class="cite">Layout: <cite data-cite="${esc(at)}">${esc(at)}</cite>, from ${esc(st.source)}.</p>`;
}

export function renderReport(r: ReportInput): string {
  // The structures shown first: as the fadump kernel found them, with the map of the crash.
  const crashPhase = r.maps.findIndex((m) => m.phase === 'crash');
  const s = r.summary;
  const c = s.cycles[s.cycles.length - 1]!;
  const o = r.options;
  const rows: [string, string][] = [
    ['platform', `${o.platform}${o.platform === 'pseries' ? ` (${o.firmware})` : ' (skiboot)'}`],
    [
      'memory',
      `${s.machine.memory} in ${s.machine.lmbSize} blocks, ${o.cpus} CPU threads, ${o.endian === 'le' ? 'ppc64le' : 'ppc64'}`,
    ],
    ['kernels', `first ${o.kernel}, fadump ${s.machine.captureKernel} (${s.machine.captureEndian})`],
    ['seed', String(o.seed)],
  ];
  const outcome: [string, string][] = [
    ['dump', `${c.dump.status}${c.dump.reason ? `: ${c.dump.reason}` : ''}`],
    ['vmcore', c.dump.vmcore ? `${c.dump.vmcore} (${approxSize(c.dump.bytes ?? 0)})` : 'none'],
    ['crash', `CPU ${c.crash.cpu}, nip ${c.crash.nip}`],
    [
      'the dump says',
      c.dump.crash
        ? `CPU ${c.dump.crash.cpu} crashed (${c.dump.crash.kind}), nip ${c.dump.crash.nip}; ${c.dump.cpus.length} CPU notes, ${c.dump.loads.length} memory ranges`
        : c.dump.status === 'captured'
          ? 'no CPU note holds crash_fadump registers'
          : 'no dump',
    ],
    ['re-registrations', String(s.cycles[0]!.hotplug.reRegistrations)],
    ['time unregistered', seconds(BigInt(s.cycles[0]!.hotplug.unregisteredNs))],
    ...verdict(c).verify.map((l, i): [string, string] => [i === 0 ? 'verify' : '', l]),
    ...c.warnings.map((w, i): [string, string] => [i === 0 ? 'warnings' : '', w]),
  ];
  const table = (t: [string, string][]) =>
    `<table>${t.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
  // Every refusal and every part of a dump firmware could not process, with its reason and value.
  const refusals = r.events.flatMap((e) =>
    e.kind === 'reject'
      ? [[seconds(e.t), e.detail.call, e.detail.reason, e.detail.value ?? '', `status ${e.detail.status}`]]
      : e.kind === 'dump-error'
        ? [
            [
              seconds(e.t),
              e.detail.what,
              e.detail.reason,
              e.detail.value ?? '',
              e.detail.flags ? `flags ${e.detail.flags}` : '',
            ],
          ]
        : [],
  );
  const refused = refusals.length
    ? `<h2>What firmware refused</h2>
<table class="refusals"><tr><th>time</th><th>call or part</th><th>why</th><th>value</th><th>answer</th></tr>${refusals
        .map((row) => `<tr>${row.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`)
        .join('')}</table>`
    : '';
  const failed = r.failed?.length
    ? `<p class="failed">Expectations that failed:</p><ul class="failed">${r.failed.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`
    : '';
  // Each glossary term the page uses is linked to its entry where it first appears.
  const terms = new Set<string>();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)} — fadump-sim</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
<h1>${esc(r.title)}</h1>
<p class="outcome ${c.dump.status}" id="outcome">${withTerms(outcomeSentence(c), terms)}</p>
${o.description ? `<p class="description">${withTerms(o.description, terms)}</p>` : ''}
<p class="small-note">New to fadump? The <a href="#glossary">glossary</a> at the end says what each term means, and how fadump differs from kdump.</p>
${failed}
${table(rows)}
${playerSection(playerSteps(r.events, r.maps))}
<h2>Timeline</h2>
<p id="timeline-key">${withTerms('Simulated time. Solid green: fadump registered; hatched red: unregistered while the udev rule re-registers; ticks: memory uevents and firmware calls (RTAS or OPAL).', terms)}</p>
<p class="zoom-controls"><button id="tl-in" type="button">Zoom in</button> <button id="tl-out" type="button">Zoom out</button> <button id="tl-all" type="button">Whole run</button> <span id="tl-range" aria-live="polite"></span></p>
${timelineSvg(r.events)}
<h2>Memory maps</h2>
<p class="legend">${LEGEND}</p>
<p><label><input type="checkbox" id="to-scale"> draw the reserved area to scale (its small parts become thin)</label></p>
${r.maps.map((m, i) => `<section class="phase" data-index="${i}" data-phase="${esc(m.phase)}"><h3>${esc(m.phase)} <small>at ${esc(seconds(m.t))}</small></h3><p>${withTerms(m.note, terms)}</p>${memoryMapSvg(m)}</section>`).join('\n')}
<h2>Structures</h2>
<p>Fields that hold an address are underlined: click one (or Enter) to mark where it points on the memory map. <span id="pointer-note" aria-live="polite"></span></p>
<p id="structures-phase" class="small-note">As the fadump kernel found them after the crash. Stepping through the run shows them as they were at each step's memory map.</p>
<div class="structures" data-index="${crashPhase}">
${r.structures.map((st) => structureBlock(st, o.corrupt ?? [], 'structure')).join('\n')}
</div>
${r.maps
  .map((m, i) =>
    i === crashPhase || !m.structures?.length
      ? ''
      : `<div class="structures" data-index="${i}" hidden>\n${m.structures.map((st) => structureBlock(st, [], 'structure-then')).join('\n')}\n</div>`,
  )
  .join('')}
${refused}
${pagesSection(c)}
<h2>Outputs</h2>
<p>Every file this run wrote beside this page: ${s.outputs.map((n) => `<code>${esc(n)}</code>`).join(', ')}.</p>
<h2>Outcome</h2>
${table(outcome)}
<h2>Consoles</h2>
<p class="small-note">Each fadump line names the kernel function that prints it (docs/upstream.md lists them with their files).</p>
<h3>First kernel</h3><pre class="console">${consoleText(s.cycles[0]!.console.crashed)}</pre>
<h3>fadump kernel</h3><pre class="console">${consoleText(c.console.capture)}</pre>
${glossarySection()}
<script>${TIMELINE_SCRIPT}</script>
<script>${PLAYER_SCRIPT}</script>
</body></html>
`;
}
