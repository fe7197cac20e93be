/// <reference lib="dom" />
// The screenshots in docs/screenshots/ (the player, the lab, compare mode) are current: each is
// taken again here and its structure (the headings, controls and pictures in it, in order) and its
// size compared with the one committed beside it — not its pixels, which fonts and antialiasing
// move. FADUMP_SIM_UPDATE_SCREENSHOTS=1 writes them anew.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from '../../scenarios/builder.ts';
import { REPO, tools } from '../support/tools.ts';

const shell = tools.chromium();
const DIR = join(REPO, 'docs', 'screenshots');
const UPDATE = process.env.FADUMP_SIM_UPDATE_SCREENSHOTS === '1';
const LAB = `file://${join(REPO, 'dist', 'lab', 'index.html')}`;

/**
 * The outline of what a picture shows: its headings, controls, tables and pictures, in order; with
 * `box` (page coordinates), only those that lie in it.
 */
function outline(root: Locator, box?: { y: number; height: number }): Promise<string[]> {
  return root.evaluate((el, box) => {
    const out: string[] = [];
    const wanted = 'h1,h2,h3,button,select,textarea,table,svg,iframe,input,output,label,ul,pre,details';
    for (const e of [el, ...Array.from(el.querySelectorAll(wanted))]) {
      if (e !== el && e.closest('svg') !== e && e.closest('svg')) continue;
      if (e.closest('[hidden]')) continue;
      if (box) {
        const r = e.getBoundingClientRect();
        const top = r.top + window.scrollY;
        if (top < box.y || top >= box.y + box.height) continue;
      }
      const id = e.id ? `#${e.id}` : '';
      const cls = e.getAttribute('class')?.split(/\s+/)[0];
      const line = `${e.tagName.toLowerCase()}${id}${cls ? `.${cls}` : ''}`;
      if (out.at(-1) !== line) out.push(line);
    }
    return out;
  }, box);
}

/** Width and height from a PNG's IHDR. */
function pngSize(png: Buffer): [number, number] {
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe.skipIf(!shell)('docs/screenshots', () => {
  let browser: Browser;
  const fresh = mkdtempSync(join(tmpdir(), 'fadump-shots-'));

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: shell!, args: ['--no-sandbox'] });
    if (UPDATE) mkdirSync(DIR, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Checks (or, updating, writes) docs/screenshots/NAME.{png,json} against a shot just taken. */
  function check(name: string, png: Buffer, lines: string[]): void {
    writeFileSync(join(fresh, `${name}.png`), png);
    const json = `${JSON.stringify({ size: pngSize(png), outline: lines }, null, 2)}\n`;
    if (UPDATE) {
      writeFileSync(join(DIR, `${name}.png`), png);
      writeFileSync(join(DIR, `${name}.json`), json);
    }
    const hint = `docs/screenshots/${name} is stale: FADUMP_SIM_UPDATE_SCREENSHOTS=1 npx vitest run test/browser/screenshots.test.ts`;
    expect(existsSync(join(DIR, `${name}.png`)), hint).toBe(true);
    expect(JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')), hint).toEqual(JSON.parse(json));
    expect(pngSize(readFileSync(join(DIR, `${name}.png`))), hint).toEqual(pngSize(png));
  }

  /** The shot of one element. */
  async function shot(name: string, root: Locator): Promise<void> {
    await root.scrollIntoViewIfNeeded();
    check(name, await root.screenshot({ animations: 'disabled' }), await outline(root));
  }

  async function page(): Promise<Page> {
    return browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  }

  it('the player: a legacy run stepped to a udev re-registration, its RTAS call marked on the map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fadump-shot-report-'));
    await Scenario.create({ kernel: 'legacy', memory: 4 * 2 ** 30 })
      .boot()
      .hotAdd(2)
      .crashAt({ cpu: 1 })
      .run(dir);
    const p = await page();
    await p.goto(`file://${join(dir, 'report.html')}`);
    // The first registration after the uevents: udev registering fadump again.
    const steps: { text: string }[] = JSON.parse((await p.locator('#player-steps').textContent())!);
    const uevent = steps.findIndex((s) => s.text.includes('uevent'));
    const step = steps.findIndex((s, i) => i > uevent && s.text.includes('ibm,configure-kernel-dump(0x1,'));
    expect(uevent).toBeGreaterThan(0);
    await p.goto(`file://${join(dir, 'report.html')}#step=${step + 1}`);
    await expect.poll(() => p.locator('#counter').textContent()).toMatch(new RegExp(`^${step + 1} /`));
    // From the player to the memory map in effect.
    const box = await p.evaluate(() => {
      const top = document.getElementById('player')!.getBoundingClientRect();
      const map = document.querySelector('section.phase.current')!.getBoundingClientRect();
      return { x: 0, y: top.top + window.scrollY, width: 1100, height: map.bottom - top.top };
    });
    const png = await p.screenshot({ clip: box, fullPage: true, animations: 'disabled' });
    await check('player', png, await outline(p.locator('body'), box));
  });

  it('the lab: the default scenario run in the page', async () => {
    const p = await page();
    await p.goto(`${LAB}#scenario=default`);
    await p.click('#run');
    await expect
      .poll(() => p.locator('#status').getAttribute('data-dump'), { timeout: 60_000 })
      .toBe('captured');
    // The ms the run took vary: the line says a fixed time in the picture.
    await p.locator('#status').evaluate((e) => {
      e.textContent = (e.textContent ?? '').replace(/Ran in \d+ ms/, 'Ran in 100 ms');
    });
    check(
      'lab',
      await p.screenshot({ animations: 'disabled' }),
      await outline(p.locator('body'), { y: 0, height: 900 }),
    );
  });

  it('compare mode: eight hot-adds under 6.9 and 6.15, a crash in a re-registration window', async () => {
    const p = await page();
    await p.goto(`${LAB}#scenario=legacy-bulk-add-crash-at-time`);
    await p.click('#compare');
    await p.waitForSelector('#compare-view:not([hidden])', { timeout: 60_000 });
    await shot('compare', p.locator('#compare-view'));
  });
});
