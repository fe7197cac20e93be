/// <reference lib="dom" />
// The HTML report in a real browser (Debian's chromium-headless-shell through playwright-core): it
// loads from file:// with no console errors and no requests beyond itself, draws a memory map per
// phase and a timeline whose elements match the run, and a screenshot of it is written.

import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from '../../scenarios/builder.ts';
import { GLOSSARY, spellings } from '../../scenarios/glossary.ts';
import { narrate } from '../../scenarios/narration.ts';
import { niceTicks, playerSteps } from '../../scenarios/report.ts';
import type { RunResult } from '../../scenarios/run.ts';
import { parseScenario, toBuilder } from '../../scenarios/scenario-file.ts';
import { REPO, tools } from '../support/tools.ts';

const shell = tools.chromium();

interface Loaded {
  page: Page;
  run: RunResult;
  dir: string;
  consoleErrors: string[];
  requests: string[];
}

describe.skipIf(!shell)('report.html in headless Chromium', () => {
  let browser: Browser;
  const loaded = new Map<string, Loaded>();

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: shell!, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(name: string, scenario: Scenario): Promise<Loaded> {
    const dir = mkdtempSync(join(tmpdir(), `fadump-report-${name}-`));
    const run = await scenario.run(dir);
    const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${join(dir, 'report.html')}`, { waitUntil: 'load' });
    const l = { page, run, dir, consoleErrors, requests };
    loaded.set(name, l);
    return l;
  }

  it('a legacy run with hotplug: loads cleanly, one map per phase, timeline matching the events', async () => {
    const { page, run, dir, consoleErrors, requests } = await open(
      'legacy',
      Scenario.create({ kernel: 'legacy', memory: 4 * 2 ** 30 })
        .boot()
        .hotAdd(3)
        .offline(1)
        .crashAt({ cpu: 2 }),
    );
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([`file://${join(dir, 'report.html')}`]);

    // One memory map per phase, in order.
    const phases = await page.$$eval('svg.memory-map', (svgs) =>
      svgs.map((s) => s.getAttribute('data-phase')),
    );
    expect(phases).toEqual(run.maps.map((m) => m.phase));
    expect(phases).toEqual(['registered', 'crash', 'fadump kernel', 'after capture']);

    // At the crash: the offlined block is drawn offline, and the reserved area holds the header and the
    // legacy kernel's elfcorehdr at the addresses the kernel used.
    const crash = page.locator('svg.memory-map[data-phase="crash"]');
    expect(await crash.locator('rect.block.offline').count()).toBe(1);
    const kinds = await crash
      .locator('rect.area')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-kind')));
    for (const k of ['boot-memory', 'reserved', 'cpu-state', 'boot-copy', 'header', 'elfcorehdr'])
      expect(kinds).toContain(k);
    const header = run.maps[1]!.areas.find((a) => a.kind === 'header')!;
    expect(await crash.locator('g.zoom-schematic rect.area.header title').textContent()).toBe(
      `crash info header: 0x${header.base.toString(16)} +664 B`,
    );
    expect(await crash.locator('path.copy').count()).toBe(1);
    const box = await crash.boundingBox();
    expect(box!.width).toBeGreaterThan(900);

    // The timeline: ticks counting every uevent, the windows the udev rule left fadump unregistered, the crash.
    const uevents = run.machine.events.events.filter((e) => e.kind === 'uevent').length;
    expect(uevents).toBe(3 * 2 + 1);
    // Uevents on the same half pixel are one tick, which counts them.
    const counts = await page
      .locator('svg.timeline line.uevent')
      .evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-count'))));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(uevents);
    expect(counts.every((n) => n >= 1)).toBe(true);
    const windows = await page.locator('svg.timeline rect.unregistered-window').count();
    expect(windows).toBe(run.summary.cycles[0]!.hotplug.reRegistrations);
    expect(windows).toBe(4);
    expect(await page.locator('svg.timeline line.crash').count()).toBe(1);
    expect(await page.locator('svg.timeline rect.registered').count()).toBeGreaterThan(windows);

    // The structures and the outcome.
    const structs = await page.$$eval('details.structure', (ds) =>
      ds.map((d) => d.getAttribute('data-struct')),
    );
    expect(structs).toEqual(run.structures.map((s) => s.name));
    expect(
      await page.locator('details.structure[data-struct="crash-info-header"] > pre').textContent(),
    ).toContain('magic_number');
    expect(await page.locator('#outcome').textContent()).toBe('The dump was captured, exact.');

    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(shot).size).toBeGreaterThan(50_000);
  });

  it('a PowerNV run: firmware memory, the OPAL metadata and the MDRT', async () => {
    const { page, consoleErrors } = await open(
      'powernv',
      Scenario.create({ platform: 'powernv' }).boot().crashAt(),
    );
    expect(consoleErrors).toEqual([]);
    const crash = page.locator('svg.memory-map[data-phase="crash"]');
    const kinds = await crash
      .locator('rect.area')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-kind')));
    expect(kinds.filter((k) => k === 'firmware')).toHaveLength(3);
    expect(kinds).toContain('metadata');
    expect(await page.locator('details.structure[data-struct="mdrt-entry"] > pre').textContent()).toContain(
      'dest_addr',
    );
    await page.screenshot({ path: join(loaded.get('powernv')!.dir, 'report.png') });
  });

  it('a crash inside a re-registration: the last unregistered window runs up to the crash', async () => {
    const { page, run, consoleErrors } = await open(
      'window',
      Scenario.create({ kernel: 'legacy', memory: 2 * 2 ** 30 })
        .boot()
        .hotAdd(4)
        .crashAt({ event: 3 }),
    );
    expect(consoleErrors).toEqual([]);
    const c = run.summary.cycles[0]!;
    expect(c.dump.status).toBe('not-triggered');
    const windows = page.locator('svg.timeline rect.unregistered-window');
    expect(await windows.count()).toBe(c.hotplug.reRegistrations + 1);
    const last = windows.last();
    const end = Number(await last.getAttribute('x')) + Number(await last.getAttribute('width'));
    expect(
      Math.abs(end - Number(await page.locator('svg.timeline line.crash').getAttribute('x1'))),
    ).toBeLessThan(0.2);
    expect(await page.locator('#outcome').textContent()).toBe(
      'No dump: fadump was unregistered: the crash came while the kdump udev rule re-registered it after a memory event.',
    );
  });

  /** The player's state as the page shows it. */
  async function playerState(page: Page) {
    return page.evaluate(() => {
      const $ = (id: string) => document.getElementById(id)!;
      const current = Array.from(document.querySelectorAll('section.phase.current')).map(
        (p) => (p as HTMLElement).dataset.phase,
      );
      return {
        hash: location.hash,
        text: $('step-text').textContent,
        counter: $('counter').textContent,
        cursor: Number($('cursor').getAttribute('x1')),
        cursorShown: $('cursor').getAttribute('visibility'),
        current,
      };
    });
  }

  it('the player steps through the legacy run: the step in the URL, the cursor and the map in effect follow', async () => {
    const { page, run, dir, consoleErrors } = loaded.get('legacy')!;
    const steps = playerSteps(run.machine.events.events, run.maps);
    const shown = JSON.parse((await page.locator('#player-steps').textContent())!);
    expect(shown).toEqual(steps);
    // Every narrated event is a step, a bulk event's uevents folded into one.
    const narrated = run.machine.events.events.filter((e) => narrate(e) !== undefined);
    expect(steps.reduce((n, s) => n + s.count, 0)).toBe(narrated.length);
    const svg = page.locator('svg.timeline');
    const [left, right, end] = await Promise.all(
      ['data-left', 'data-right', 'data-end'].map((a) => svg.getAttribute(a)),
    );
    const x = (t: number) => Number(left) + (t / Number(end)) * (Number(right) - Number(left));
    const expectAt = async (i: number) => {
      const st = await playerState(page);
      expect(st.hash).toBe(`#step=${i + 1}`);
      expect(st.text).toBe(steps[i]!.text);
      expect(st.counter).toBe(`${i + 1} / ${steps.length}`);
      expect(st.cursorShown).toBe('visible');
      expect(Math.abs(st.cursor - x(steps[i]!.t))).toBeLessThan(0.1);
      expect(st.current).toEqual(steps[i]!.phase < 0 ? [] : [run.maps[steps[i]!.phase]!.phase]);
    };
    await page.focus('body');
    // The whole run, step by step.
    for (let i = 0; i < steps.length; i++) {
      await page.keyboard.press('ArrowRight');
      await expectAt(i);
    }
    await page.keyboard.press('Home');
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
    await expectAt(2);
    await page.keyboard.press('ArrowLeft');
    await expectAt(1);
    await page.keyboard.press('End');
    await expectAt(steps.length - 1);
    await page.keyboard.press('Home');
    await expectAt(0);
    // A link to a step: the panic, with the map drawn at the crash.
    const panic = steps.findIndex((s) => s.text.includes('panics'));
    expect(run.maps[steps[panic]!.phase]!.phase).toBe('crash');
    await page.goto(`file://${join(dir, 'report.html')}#step=${panic + 1}`);
    await expectAt(panic);
    // A firmware call shows what it read and wrote: ibm,os-term, where firmware saves the registers.
    const osTerm = steps.findIndex((s) => s.text.startsWith('RTAS ibm,os-term('));
    const saved = steps[osTerm]!.touched!.find((a) => a.write && a.len > 1000)!;
    expect(saved).toBeDefined();
    await page.goto(`file://${join(dir, 'report.html')}#step=${osTerm + 1}`);
    expect(await page.locator('#step-touched').textContent()).toContain(
      `writes 0x${saved.addr.toString(16)} +${saved.len} bytes`,
    );
    const current = page.locator('section.phase.current svg.memory-map');
    expect(await current.getAttribute('data-phase')).toBe('crash');
    expect(await current.locator(`rect.touched.write[data-addr="${saved.addr}"]`).count()).toBe(1);
    const touchedStructs = await page.$$eval('details.structure.touched', (ds) =>
      ds.map((d) => d.getAttribute('data-struct')),
    );
    expect(touchedStructs).toEqual(['regsave-header', 'regsave-entry']);
    // A re-registration reads the dump structure the kernel wrote: its 160 bytes at the address it gave.
    const reRegister = steps.findIndex(
      (s) => s.phase === 0 && /^RTAS ibm,configure-kernel-dump\(0x1, /.test(s.text),
    );
    const [, fdm, len] = /\(0x1, (0x[0-9a-f]+), (0x[0-9a-f]+)\)/.exec(steps[reRegister]!.text)!;
    await page.goto(`file://${join(dir, 'report.html')}#step=${reRegister + 1}`);
    expect(await page.locator('#step-touched').textContent()).toContain(`reads ${fdm} +${Number(len)} bytes`);
    expect(
      await page.locator(`section.phase.current rect.touched.read[data-addr="${Number(fdm)}"]`).count(),
    ).toBe(1);
    // Moving on clears the marks.
    await page.keyboard.press('Home');
    expect(await page.locator('rect.touched').count()).toBe(0);
    expect(await page.locator('details.structure.touched').count()).toBe(0);
    await page.goto(`file://${join(dir, 'report.html')}#step=${panic + 1}`);
    // Play moves on by itself; pressing it again stops.
    await page.click('#play');
    await page.waitForFunction(
      (n) => document.getElementById('counter')!.textContent !== n,
      `${panic + 1} / ${steps.length}`,
    );
    await page.click('#play');
    expect(await page.locator('#play').getAttribute('aria-pressed')).toBe('false');
    expect(consoleErrors).toEqual([]);
  });

  it('an address field of a structure, clicked, is marked where it points on the memory map', async () => {
    const { page, run, dir, consoleErrors } = loaded.get('legacy')!;
    await page.goto(`file://${join(dir, 'report.html')}`);
    const field = page.locator(
      'details.structure[data-struct="crash-info-header"] .pointer[data-field="elfcorehdr_addr"]',
    );
    expect(await field.count()).toBe(1);
    const points = Number(await field.getAttribute('data-points'));
    // The legacy kernel's elfcorehdr, in the reserved area after the header.
    const crashMap = run.maps.find((m) => m.phase === 'crash')!;
    const elfcorehdr = crashMap.areas.find((a) => a.kind === 'elfcorehdr')!;
    expect(points).toBe(elfcorehdr.base);
    await field.click();
    const mark = page.locator('svg.memory-map[data-phase="crash"] rect.pointed');
    expect(await mark.getAttribute('data-addr')).toBe(String(points));
    expect(await page.locator('#pointer-note').textContent()).toBe(
      `elfcorehdr_addr = 0x${points.toString(16)}: marked on the memory map "crash"`,
    );
    // Every field of an annotated structure says what it means, from its field table.
    const magic = page.locator(
      'details.structure[data-struct="crash-info-header"] .field[data-field="magic_number"]',
    );
    expect(await magic.getAttribute('title')).toBe('magic_number: "FADMPINF"');
    // Text packed in a u64 is shown as text: the magic number, the register ids.
    expect(await magic.textContent()).toMatch(/magic_number +0x4641444d50494e46 {2}"FADMPINF"$/);
    expect(await page.locator('details.structure[data-struct="regsave-entry"] > pre').textContent()).toMatch(
      /reg_id +0x[0-9a-f]{16} {2}"CPUSTRT"/,
    );
    const fields = await page.$$eval('details.structure .field', (fs) =>
      fs.map((f) => f.getAttribute('title')),
    );
    expect(fields.length).toBeGreaterThan(20);
    expect(fields.every((t) => t !== null && /^\w+: /.test(t))).toBe(true);
    // A long table: its first entries shown, every other one (up to 1,024) a click away.
    const regs = run.structures.find((st) => st.name === 'regsave-entry')!;
    expect(regs.count).toBeGreaterThan(100);
    const more = page.locator('details.structure[data-struct="regsave-entry"] details.more');
    expect(await more.locator('summary').textContent()).toBe(`all ${regs.count} entries`);
    const head = regs.text.split('\n')[0]!.replace(/ —.*/, '');
    const shown = (await more.locator('pre').textContent())!.split('\n').filter((l) => l.startsWith(head));
    expect(shown).toHaveLength(Math.min(regs.count - 4, 1024));
    // From the keyboard too; one mark at a time.
    await page.locator('.pointer').first().focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('rect.pointed').count()).toBe(1);
    expect(consoleErrors).toEqual([]);
  });

  it('the reserved area, on request, is drawn to scale', async () => {
    const { page, run, dir } = loaded.get('legacy')!;
    await page.goto(`file://${join(dir, 'report.html')}`);
    const crash = page.locator('svg.memory-map[data-phase="crash"]');
    expect(await crash.locator('g.zoom-schematic').isVisible()).toBe(true);
    expect(await crash.locator('g.zoom-scaled').isVisible()).toBe(false);
    await page.check('#to-scale');
    expect(await crash.locator('g.zoom-schematic').isVisible()).toBe(false);
    const reserved = run.maps.find((m) => m.phase === 'crash')!.areas.find((a) => a.kind === 'reserved')!;
    const parts = await crash
      .locator('g.zoom-scaled rect')
      .evaluateAll((rs) =>
        rs.map((r) => ['data-base', 'data-size', 'x', 'width'].map((a) => Number(r.getAttribute(a)))),
      );
    expect(parts.length).toBeGreaterThanOrEqual(3);
    // Each part where it lies in the area and as wide as it is, on the 960 units of the picture.
    for (const [base, size, x, width] of parts) {
      expect(Math.abs(x! - ((base! - reserved.base) / reserved.size) * 960)).toBeLessThan(0.1);
      expect(Math.abs(width! - Math.max(1, (size! / reserved.size) * 960))).toBeLessThan(0.1);
    }
    await page.uncheck('#to-scale');
    expect(await crash.locator('g.zoom-schematic').isVisible()).toBe(true);
  });

  it('every glossary term the page uses links to its entry, and every entry is there', async () => {
    for (const name of ['legacy', 'powernv']) {
      const { page, dir } = loaded.get(name)!;
      await page.goto(`file://${join(dir, 'report.html')}`);
      const { links, ids } = await page.evaluate(() => ({
        links: Array.from(document.querySelectorAll('a.term')).map((a) => a.getAttribute('href')),
        ids: Array.from(document.querySelectorAll('#glossary dt')).map((d) => d.id),
      }));
      expect(ids).toEqual(GLOSSARY.map((e) => `glossary-${e.id}`));
      for (const href of links) expect(ids).toContain(href!.slice(1));
      // The terms of the page's prose (the outcome, the timeline's key, the maps' notes) are linked.
      const prose = await page.$$eval('#outcome, .description, section.phase > p, #timeline-key', (ps) =>
        ps.map((p) => p.textContent ?? '').join('\n'),
      );
      for (const e of GLOSSARY)
        if (spellings(e).some((sp) => new RegExp(`(?<![\\w-])${sp}(?![\\w-])`).test(prose)))
          expect(links, `${name}: ${e.term}`).toContain(`#glossary-${e.id}`);
      expect(links.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('the player on PowerNV: an OPAL call is a step, linked to with its map', async () => {
    const { page, run, dir, consoleErrors } = loaded.get('powernv')!;
    const steps = playerSteps(run.machine.events.events, run.maps);
    // The whole run with the Next button: each step's words and its map.
    await page.goto(`file://${join(dir, 'report.html')}`);
    for (let i = 0; i < steps.length; i++) {
      await page.click('#next');
      const st = await playerState(page);
      expect(st.text).toBe(steps[i]!.text);
      expect(st.hash).toBe(`#step=${i + 1}`);
      expect(st.current).toEqual(steps[i]!.phase < 0 ? [] : [run.maps[steps[i]!.phase]!.phase]);
    }
    expect(steps.map((s) => s.phase).at(-1)).toBe(run.maps.length - 1);
    const update = steps.findIndex((s) => s.text.startsWith('OPAL OPAL_MPIPL_UPDATE('));
    expect(update).toBeGreaterThanOrEqual(0);
    expect(steps[update]!.text).toMatch(/-> 0$/);
    await page.goto(`file://${join(dir, 'report.html')}#step=${update + 1}`);
    const st = await playerState(page);
    expect(st.text).toBe(steps[update]!.text);
    const phase = steps[update]!.phase;
    expect(st.current).toEqual(phase < 0 ? [] : [run.maps[phase]!.phase]);
    const ready = steps.findIndex((s) => s.text.includes('/proc/vmcore is ready'));
    await page.locator('#scrub').fill(String(ready));
    expect((await playerState(page)).text).toBe(steps[ready]!.text);
    expect((await playerState(page)).current).toEqual(['fadump kernel']);
    expect(consoleErrors).toEqual([]);
  });

  it('a legacy hotplug storm of 10,000 events: the page stays a picture, the player steps through it', async () => {
    const { page, run, dir, consoleErrors, requests } = await open(
      'storm',
      Scenario.create({ kernel: 'legacy', memory: 64 * 2 ** 30 })
        .boot()
        .hotAdd(1500)
        .crashAt({ cpu: 1 }),
    );
    expect(run.machine.events.events.length).toBeGreaterThan(10_000);
    expect(consoleErrors).toEqual([]);
    expect(requests).toHaveLength(1);
    // Ticks per lane and kind are bounded by the picture's width, whatever the events.
    const ticks = await page.locator('svg.timeline line[data-count]').count();
    expect(ticks).toBeLessThanOrEqual(3 * 1600);
    const counted = await page
      .locator('svg.timeline line.uevent')
      .evaluateAll((ls) => ls.reduce((n, l) => n + Number(l.getAttribute('data-count')), 0));
    expect(counted).toBe(run.machine.events.events.filter((e) => e.kind === 'uevent').length);
    expect(statSync(join(dir, 'report.html')).size).toBeLessThan(8 * 2 ** 20);
    // The player: every step there, the last reached from the keyboard, a step linked to.
    const steps = playerSteps(run.machine.events.events, run.maps);
    await page.focus('body');
    await page.keyboard.press('End');
    expect((await playerState(page)).counter).toBe(`${steps.length} / ${steps.length}`);
    const mid = Math.floor(steps.length / 2);
    await page.goto(`file://${join(dir, 'report.html')}#step=${mid + 1}`);
    expect((await playerState(page)).text).toBe(steps[mid]!.text);
    expect(consoleErrors).toEqual([]);
  });

  it('a refused dump says so, with the reason', async () => {
    const { page, consoleErrors } = await open(
      'refused',
      Scenario.create({ corrupt: [{ struct: 'crash-info-header', field: 'magic_number', value: 0n }] })
        .boot()
        .crashAt(),
    );
    expect(consoleErrors).toEqual([]);
    expect(await page.locator('#outcome').textContent()).toBe(
      'The fadump kernel refused the dump: Fadump header is corrupted.',
    );
    expect(await page.locator('#outcome').getAttribute('class')).toBe('outcome refused');
  });

  it('the timeline zooms about the cursor: marks placed again, the axis ticked anew, each memory event labelled', async () => {
    const text = readFileSync(
      join(REPO, 'scenarios', 'library', 'legacy-bulk-add-crash-at-time.yaml'),
      'utf8',
    );
    const { page, consoleErrors } = await open('zoom', toBuilder(parseScenario(text, 'storm')));
    const svg = page.locator('svg.timeline');
    const visible = () => svg.locator('text.event-label[visibility="visible"]').allTextContents();
    const axis = () => page.locator('#axis text').allTextContents();
    expect(await page.locator('#tl-range').textContent()).toBe('the whole run, 2.2 s');
    expect(await axis()).toEqual(['0 s', '0.5 s', '1 s', '1.5 s', '2 s']);
    // At the whole run's scale most of the eight LMBs' labels would overlap: two are drawn.
    expect(await visible()).toEqual(['memory16 add, online', 'memory21 add, online']);
    // The player's step at the third hot-add (1.6 s), then zoomed in twice about it.
    const steps: { t: number; text: string }[] = JSON.parse(
      (await page.locator('#player-steps').textContent())!,
    );
    const third = steps.findIndex((s) => s.t === 1_600_090_000);
    await page.goto(`${page.url().replace(/#.*$/, '')}#step=${third + 1}`);
    await page.click('#tl-in');
    await page.click('#tl-in');
    const range = (await page.locator('#tl-range').textContent())!;
    const [, a, b] = /^from ([\d.]+) s to ([\d.]+) s of 2.2 s$/.exec(range)!.map(Number) as [
      number,
      number,
      number,
    ];
    expect(b - a).toBeCloseTo(2.2 / 16, 3);
    expect(a < 1.60009 && 1.60009 < b).toBe(true);
    expect(await visible()).toEqual(['memory17 add, online', 'memory18 add, online', 'memory19 add, online']);
    const ticks = await axis();
    expect(ticks).toEqual(niceTicks(a * 1e9, b * 1e9).map((t) => `${Number((t / 1e9).toFixed(2))} s`));
    // The cursor sits where its time falls in the window, and the hatched window under it is cut to it.
    const cursor = Number(await page.locator('#cursor').getAttribute('x1'));
    expect(cursor).toBeCloseTo(150 + ((1.60009 - a) / (b - a)) * 800, 0);
    await page.click('#tl-all');
    expect(await page.locator('#tl-range').textContent()).toBe('the whole run, 2.2 s');
    expect(await axis()).toEqual(['0 s', '0.5 s', '1 s', '1.5 s', '2 s']);
    expect(consoleErrors).toEqual([]);
  });

  it('the structures follow the player: the crash info header before the crash names no CPU, after it the crashing one', async () => {
    const { page, run, consoleErrors } = await open(
      'structures',
      Scenario.create({ kernel: 'legacy', memory: 4 * 2 ** 30 })
        .boot()
        .hotAdd(2)
        .crashAt({ cpu: 1 }),
    );
    const steps = playerSteps(run.machine.events.events, run.maps);
    const registered = run.maps.findIndex((m) => m.phase === 'registered');
    const crash = run.maps.findIndex((m) => m.phase === 'crash');
    const cpu = async () =>
      (await page
        .locator('div.structures:not([hidden]) details[data-struct="crash-info-header"] pre')
        .textContent())!
        .split('\n')
        .find((l) => l.includes('crashing_cpu'))!
        .trim()
        .split(/\s+/)
        .at(-1);
    // Without a step: as the fadump kernel found them.
    expect(await cpu()).toBe('0x00000001');
    const go = async (i: number) => {
      await page.goto(`${page.url().replace(/#.*$/, '')}#step=${i + 1}`);
      await expect.poll(() => page.locator('#counter').textContent()).toBe(`${i + 1} / ${steps.length}`);
    };
    await go(steps.findIndex((s) => s.phase === registered));
    expect(await page.locator('#structures-phase').textContent()).toBe(
      'As they were at the map of this step, "registered".',
    );
    expect(await cpu()).toBe('0xffffffff');
    expect(await page.locator('div.structures:not([hidden])').count()).toBe(1);
    await go(steps.findIndex((s) => s.phase === crash));
    expect(await page.locator('#structures-phase').textContent()).toBe(
      'As the fadump kernel found them after the crash.',
    );
    expect(await cpu()).toBe('0x00000001');
    expect(consoleErrors).toEqual([]);
  });
});
