/// <reference lib="dom" />
// docs/lab.md's exercises, done in the lab (dist/lab/ in headless Chromium) as a student would, and
// what each says you should see checked against what the page shows. Every quoted observation
// (the lines starting with `> `) is checked here, so the doc and the lab cannot drift apart.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tools } from '../support/tools.ts';

const shell = tools.chromium();
const LAB = `file://${join(REPO, 'dist', 'lab', 'index.html')}`;
const DOC = readFileSync(join(REPO, 'docs', 'lab.md'), 'utf8');
/** Each exercise's quoted observations, by its number. */
const quotes = new Map<number, string[]>();
{
  let n = 0;
  for (const line of DOC.split('\n')) {
    const h = /^### (\d+)\. /.exec(line);
    if (h) n = Number(h[1]);
    else if (line.startsWith('> ') && n) quotes.set(n, [...(quotes.get(n) ?? []), line.slice(2)]);
  }
}
/** Quotes checked by the tests below; the last test makes sure that is all of them. */
const checked = new Set<string>();
const quote = (n: number, i = 0): string => {
  const q = quotes.get(n)?.[i];
  if (!q) throw new Error(`docs/lab.md: exercise ${n} has no quote ${i + 1}`);
  checked.add(q);
  return q;
};

describe.skipIf(!shell)('docs/lab.md exercises, done in the lab', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: shell!, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(LAB);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const pick = async (name: string) => {
    await page.selectOption('#scenario', name);
    expect(await page.locator('#problem').isHidden()).toBe(true);
  };
  const edit = async (change: (text: string) => string) => {
    const before = await page.locator('#editor').inputValue();
    const after = change(before);
    expect(after).not.toBe(before);
    await page.locator('#editor').fill(after);
    await expect.poll(() => page.locator('#run').isEnabled()).toBe(true);
  };
  /** Runs, and gives the outcome line (the time it took cut off) and the lines under it. */
  const run = async (): Promise<{ status: string; lines: string[] }> => {
    await page.locator('#status').evaluate((e) => {
      delete (e as HTMLElement).dataset.dump;
    });
    await page.click('#run');
    await expect
      .poll(() => page.locator('#status').getAttribute('data-dump'), { timeout: 90_000 })
      .toBeTruthy();
    const status = (await page.locator('#status').textContent())!.replace(/ Ran in \d+ ms\.$/, '');
    return { status, lines: await page.locator('#verify li').allTextContents() };
  };
  const compare = async () => {
    await page.locator('#compare-view').evaluate((e) => {
      (e as HTMLElement).hidden = true;
    });
    await page.click('#compare');
    await page.waitForSelector('#compare-view:not([hidden])', { timeout: 90_000 });
  };
  const outcomes = () => page.locator('#compare-outcome tbody td').allTextContents();

  it('1. find why a dump was lost', async () => {
    await pick('legacy-crash-in-reregistration-window');
    expect((await run()).status).toBe(quote(1));
    // The step before the panic, reached from the end with the keyboard.
    const report = page.frameLocator('#report');
    const steps: { text: string }[] = JSON.parse((await report.locator('#player-steps').textContent())!);
    const panic = steps.findIndex((s) => s.text.includes('panics'));
    await report.locator('#last').click();
    for (let i = steps.length - 1; i > panic - 1; i--) await report.locator('body').press('ArrowLeft');
    expect(await report.locator('#counter').textContent()).toBe(`${panic} / ${steps.length}`);
    expect(await report.locator('#step-text').textContent()).toContain(
      'the kernel unregistered fadump: a crash now would give no dump',
    );
    await compare();
    expect((await outcomes())[1]).toBe('a dump, captured');
  });

  it('2. make the legacy elfcorehdr overflow, and find the most LMBs that fit', async () => {
    await pick('legacy-elfcorehdr-overflow');
    expect((await run()).lines.at(-1)).toBe(quote(2));
    await compare();
    const bars = await page
      .locator('rect.elfcorehdr')
      .evaluateAll((rs) =>
        rs.map((r) => Number((r as SVGElement).dataset.bytes) > Number((r as SVGElement).dataset.room)),
      );
    // Built at registration (fits), then at the first re-registration, past its room.
    expect(bars.slice(0, 2)).toEqual([false, true]);
    await edit((t) => t.replace('count: 1200', 'count: 1154'));
    const fits = await run();
    expect(fits.lines.some((l) => l.includes('past the end of the reserved area'))).toBe(false);
    expect(fits.status).toMatch(/elfcorehdrOverflow: expected true, got 0 bytes/);
    await edit((t) => t.replace('count: 1154', 'count: 1155'));
    expect((await run()).lines.at(-1)).toMatch(
      /^the first kernel wrote its elfcorehdr 40 bytes past the end/,
    );
  });

  it('3. corrupt the header and read the refusal', async () => {
    await pick('default');
    await edit((t) =>
      t
        .replace(
          '  - crash: { cpu: 3 }\n',
          '  - crash: { cpu: 3 }\n  - corrupt: { struct: crash-info-header, field: magic_number, value: 0 }\n',
        )
        .replace(/^expect:[\s\S]*$/m, ''),
    );
    expect((await run()).status).toBe(quote(3));
    const line = page
      .frameLocator('#report')
      .locator('details.structure', { hasText: 'magic_number' })
      .first();
    expect(await line.textContent()).toContain('← corrupted (the first kernel wrote 0x4641444d50534947)');
    expect(Buffer.from('4641444d50534947', 'hex').toString('latin1')).toBe('FADMPSIG');
    expect(DOC).toContain('`← corrupted (the first kernel wrote 0x4641444d50534947)` — "FADMPSIG"');
  });

  it('4. hot-add into a boot-memory hole', async () => {
    await pick('resilient-hot-add-into-boot-memory-hole');
    expect((await run()).lines).toContain(quote(4));
    await edit((t) => t.replace('bootMemRegions: 2', 'bootMemRegions: 1'));
    const again = await run();
    expect(again.lines.some((l) => l.includes('added into a hole'))).toBe(false);
    expect(again.status).toContain('verify.missingBytes: expected 268435456, got 0');
  });

  it("5. find the crashing CPU's registers with crash", async () => {
    await pick('default');
    await run();
    const dir = mkdtempSync(join(tmpdir(), 'fadump-exercise-'));
    const save = async (row: string, name: string) => {
      const [d] = await Promise.all([
        page.waitForEvent('download'),
        page.locator(`li[data-file="${row}"] a`).click(),
      ]);
      expect(d.suggestedFilename()).toBe(name);
      await d.saveAs(join(dir, name));
      return join(dir, name);
    };
    await page.locator('li[data-file="vmcore"] button').click();
    const vmcore = await save('vmcore', 'vmcore-d31');
    const vmlinux = await save('vmlinux', 'vmlinux');
    const summary = JSON.parse(readFileSync(await save('summary.json', 'summary.json'), 'utf8'));
    const crash = tools.crash();
    if (!crash) return;
    const r = spawnSync(crash, ['-s', '--minimal', vmlinux, vmcore], {
      input: 'help -n\nexit\n',
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const notes = r.stdout.split('Elf64_Nhdr:').filter((n) => n.includes('(NT_PRSTATUS)'));
    expect(notes.length).toBe(8);
    const fourth = notes[3]!;
    const nip = quote(5);
    expect(fourth).toContain(nip);
    expect(nip).toBe(`NIP: ${summary.crash.nip.slice(2)}`);
    expect(fourth).toMatch(/TRAP: 0000000000000300/);
    expect(summary.crash.trap).toBe('0x300');
  });

  it('checked every observation the exercises quote, with no console errors', () => {
    expect(errors).toEqual([]);
    expect([...quotes.keys()]).toEqual([1, 2, 3, 4, 5]);
    expect([...quotes.values()].flat().filter((q) => !checked.has(q))).toEqual([]);
  });
});
