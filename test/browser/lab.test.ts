/// <reference lib="dom" />
// The lab (dist/lab/, as `npm run build` writes it) in headless Chromium, loaded from file:// with no
// network: a built-in scenario is edited into a schema error, which shows at its line; fixed, it
// runs in the page; the player is there; the vmcore downloaded opens in eu-readelf and vmcore-dmesg
// as the run's own vmcore-dmesg.txt says. And `fadump-sim lab` serves the same two files.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tools } from '../support/tools.ts';

const shell = tools.chromium();
const LAB = join(REPO, 'dist', 'lab');
const DEFAULT = readFileSync(join(REPO, 'scenarios', 'library', 'default.yaml'), 'utf8');

describe.skipIf(!shell)('the lab in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(LAB, 'lab.js'))) throw new Error('dist/lab is not built: npm run build');
    browser = await chromium.launch({ executablePath: shell!, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  const problem = () => page.locator('#problem');

  it('loads from file:// with the built-in scenarios and the one the address names', async () => {
    await page.goto(`file://${join(LAB, 'index.html')}#scenario=powernv-mpipl`, { waitUntil: 'load' });
    expect(await page.locator('#scenario').inputValue()).toBe('powernv-mpipl');
    const names = await page.locator('#scenario option').allTextContents();
    expect(names).toContain('default');
    expect(names).toContain('legacy-crash-in-reregistration-window');
    // A link to another scenario followed from the page opens it.
    await page.evaluate(() => {
      location.hash = '#scenario=legacy-stale-elfcorehdr';
    });
    await expect.poll(() => page.locator('#scenario').inputValue()).toBe('legacy-stale-elfcorehdr');
    expect(await page.locator('#editor').inputValue()).toBe(
      readFileSync(join(REPO, 'scenarios', 'library', 'legacy-stale-elfcorehdr.yaml'), 'utf8'),
    );
    await page.selectOption('#scenario', 'default');
    expect(await page.locator('#editor').inputValue()).toBe(DEFAULT);
    expect(new URL(page.url()).hash).toBe('#scenario=default');
    expect(await problem().isHidden()).toBe(true);
    expect(await page.locator('#run').isEnabled()).toBe(true);
  });

  it('shows a schema error at its line as it is typed, goes to it on a click, and clears once fixed', async () => {
    // Line 6 is the crash step: a key the step does not take.
    const lines = DEFAULT.split('\n');
    expect(lines[5]).toBe('  - crash: { cpu: 3 }');
    lines[5] = '  - crash: { cpu: 3, colour: red }';
    await page.locator('#editor').fill(lines.join('\n'));
    await expect.poll(() => problem().isVisible()).toBe(true);
    const text = await problem().textContent();
    expect(text).toMatch(/^scenario\.yaml:6:\d+: .*colour/);
    expect(await page.locator('#gutter #bad-line').textContent()).toBe('6');
    expect(await page.locator('#run').isDisabled()).toBe(true);
    await problem().click();
    const caret = await page.locator('#editor').evaluate((e: HTMLTextAreaElement) => e.selectionStart);
    const before = lines.slice(0, 5).join('\n').length + 1;
    expect(caret).toBe(before + Number(/^scenario\.yaml:6:(\d+)/.exec(text!)![1]) - 1);

    // Too big for a page: said before it runs.
    await page
      .locator('#editor')
      .fill(DEFAULT.replace('dump: { format: elf }', 'machine: { memory: 64T }\ndump: { format: elf }'));
    await expect
      .poll(() => problem().textContent())
      .toMatch(/^scenario\.yaml:3:1: too big for a page: 262,144 LMB slots/);
    expect(await page.locator('#run').isDisabled()).toBe(true);

    await page.locator('#editor').fill(DEFAULT);
    await expect.poll(() => problem().isHidden()).toBe(true);
    expect(await page.locator('#gutter #bad-line').count()).toBe(0);
    expect(await page.locator('#run').isEnabled()).toBe(true);
  });

  it('runs it in the page: the outcome, the player, and a vmcore eu-readelf and vmcore-dmesg open', async () => {
    await page.click('#run');
    await expect
      .poll(() => page.locator('#status').getAttribute('data-dump'), { timeout: 60_000 })
      .toBe('captured');
    expect(await page.locator('#status').getAttribute('data-failed')).toBe('0');
    expect(await page.locator('#status').textContent()).toMatch(/^dump: captured\. Ran in \d+ ms\.$/);
    expect(await page.locator('#verify li').allTextContents()).toEqual([
      'exact: 8254324056 bytes (7.7 GiB) of memory, 8 CPU notes and VMCOREINFO as they were at the crash',
    ]);

    // The report with its player, in the page.
    const report = page.frameLocator('#report');
    expect(await report.locator('svg.memory-map').count()).toBeGreaterThan(0);
    const counter = report.locator('#counter');
    await report.locator('#next').click();
    await report.locator('#next').click();
    await expect.poll(() => counter.textContent()).toMatch(/^2 \/ \d+$/);
    expect(await report.locator('#step-text').textContent()).not.toBe('Press Next or → to start.');
    // The step is in the lab's address, and the address opens the lab there: run, at that step.
    await expect.poll(() => new URL(page.url()).hash).toBe('#scenario=default&step=2');
    const linked = await browser.newPage();
    try {
      await linked.goto(
        `file://${join(LAB, 'index.html')}#scenario=legacy-crash-in-reregistration-window&step=3`,
      );
      const there = linked.frameLocator('#report').locator('#counter');
      await expect.poll(() => there.textContent(), { timeout: 60_000 }).toMatch(/^3 \/ \d+$/);
      expect(await linked.locator('#scenario').inputValue()).toBe('legacy-crash-in-reregistration-window');
      expect(await linked.locator('#status').getAttribute('data-dump')).toBe('not-triggered');
    } finally {
      await linked.close();
    }

    // The files: the sparse 8 GiB vmcore is offered filtered, the rest as they are.
    const rows = await page
      .locator('#downloads li')
      .evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.file));
    expect(rows).toEqual(['summary.json', 'vmcore', 'vmcore-dmesg.txt', 'vmlinux']);
    const dir = mkdtempSync(join(tmpdir(), 'fadump-lab-'));
    const save = async (click: () => Promise<void>, name: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), click()]);
      expect(d.suggestedFilename()).toBe(name);
      const to = join(dir, name);
      await d.saveAs(to);
      return to;
    };
    const summary = JSON.parse(
      readFileSync(
        await save(() => page.locator('li[data-file="summary.json"] a').click(), 'summary.json'),
        'utf8',
      ),
    );
    expect(summary.dump.status).toBe('captured');
    expect(summary.verify.mismatchedBytes).toBe(0);
    const dmesgTxt = readFileSync(
      await save(() => page.locator('li[data-file="vmcore-dmesg.txt"] a').click(), 'vmcore-dmesg.txt'),
      'utf8',
    );
    expect(dmesgTxt).toContain('rtas fadump: Registration is successful!');
    await page.locator('li[data-file="vmcore"] button').click();
    const vmcore = await save(() => page.locator('li[data-file="vmcore"] a').click(), 'vmcore-d31');

    // What the command line writes for the same scenario, the same bytes: the filtered vmcore as
    // `run --dump-level 31` writes it, the log, the vmlinux, and the summary but for its outputs.
    const cli = join(dir, 'cli');
    const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.mjs'), 'run', 'default', '--out', cli], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const d31 = join(dir, 'cli-d31');
    const f = spawnSync(
      process.execPath,
      [join(REPO, 'dist', 'cli.mjs'), 'run', '--dump-level', '31', '--out', d31],
      {
        encoding: 'utf8',
      },
    );
    expect(f.status, f.stderr).toBe(0);
    expect(readFileSync(vmcore).equals(readFileSync(join(d31, 'vmcore')))).toBe(true);
    expect(dmesgTxt).toBe(readFileSync(join(cli, 'vmcore-dmesg.txt'), 'utf8'));
    const vmlinux = await save(() => page.locator('li[data-file="vmlinux"] a').click(), 'vmlinux');
    expect(readFileSync(vmlinux).equals(readFileSync(join(cli, 'vmlinux')))).toBe(true);
    const onDisk = JSON.parse(readFileSync(join(cli, 'summary.json'), 'utf8'));
    expect({ ...summary, outputs: [] }).toEqual({ ...onDisk, outputs: [] });

    if (tools.euReadelf()) {
      const r = spawnSync(tools.euReadelf()!, ['-h', '-n', vmcore], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Type:\s+CORE/);
      expect(r.stdout).toContain('VMCOREINFO');
    }
    if (tools.vmcoreDmesg()) {
      const r = spawnSync(tools.vmcoreDmesg()!, [vmcore], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(dmesgTxt);
    }
  });

  it('compares 6.9 and 6.15 on one clock, and crashes both where a click or the slider says', async () => {
    await page.selectOption('#scenario', 'legacy-bulk-add-crash-at-time');
    await page.click('#compare');
    await page.waitForSelector('#compare-view:not([hidden])', { timeout: 60_000 });
    const outcomes = () =>
      page
        .locator('#compare-outcome tbody tr')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status));
    // The scenario's own crash, at 2.2 s: lost before 6.10, captured since.
    expect(await outcomes()).toEqual(['not-triggered', 'captured']);
    expect(await page.locator('#compare-at-text').textContent()).toBe('2.200 s');
    expect(await page.locator('rect.unregistered[data-side="0"]').count()).toBe(8);
    expect(await page.locator('rect.unregistered[data-side="1"]').count()).toBe(0);
    expect(await page.locator('rect.elfcorehdr').count()).toBe(9);
    expect(await page.locator('#compare-key').textContent()).toMatch(/hatched: unregistered/);

    // A click in the middle of the sixth unregistered window, then a click after the last one.
    const svg = page.locator('#compare-svg');
    const axis = await svg.evaluate((e) => ({
      left: Number(e.dataset.left),
      right: Number(e.dataset.right),
      start: BigInt(e.dataset.start!),
      end: BigInt(e.dataset.end!),
      width: (e as unknown as SVGSVGElement).viewBox.baseVal.width,
    }));
    const clickAt = async (t: bigint) => {
      await svg.scrollIntoViewIfNeeded();
      const box = (await svg.boundingBox())!;
      const x =
        axis.left + (Number(t - axis.start) / Number(axis.end - axis.start)) * (axis.right - axis.left);
      await page.mouse.click(box.x + (x / axis.width) * box.width, box.y + box.height / 2);
      await expect
        .poll(() => page.locator('#compare-view').getAttribute('data-at'))
        .not.toBe(String(2_200_000_000n));
    };
    const windows = await page
      .locator('rect.unregistered[data-side="0"]')
      .evaluateAll((rs) => rs.map((r) => [(r as SVGElement).dataset.from!, (r as SVGElement).dataset.to!]));
    const [from, to] = windows[5]!.map(BigInt) as [bigint, bigint];
    await clickAt((from + to) / 2n);
    const at = BigInt((await page.locator('#compare-view').getAttribute('data-at'))!);
    expect(at > from && at < to).toBe(true);
    expect(await outcomes()).toEqual(['not-triggered', 'captured']);
    const last = BigInt(windows.at(-1)![1]!);
    await page.locator('#compare-view').evaluate((e) => e.removeAttribute('data-at'));
    await clickAt(last + (axis.end - last) / 2n);
    await expect.poll(outcomes).toEqual(['captured', 'captured']);

    // From the keyboard: the slider to its start, before the first kernel is up, says so.
    await page.locator('#compare-at').focus();
    await page.keyboard.press('Home');
    await expect
      .poll(() => page.locator('#compare-at-text').textContent())
      .toMatch(/too early, the first kernel is up and registered at/);
  });

  it('made no requests beyond its own two files, and no console errors', () => {
    expect(consoleErrors).toEqual([]);
    expect(new Set(requests.map((u) => u.replace(/#.*$/, '')))).toEqual(
      new Set([`file://${join(LAB, 'index.html')}`, `file://${join(LAB, 'lab.js')}`]),
    );
  });
});

describe('fadump-sim lab', () => {
  it('serves the two files of dist/lab on the port given, nothing else, until stopped', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli.mjs'), 'lab', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /^fadump-sim lab: (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C stops it\)$/m.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toBe(readFileSync(join(LAB, 'index.html'), 'utf8'));
      const js = await fetch(`${url}lab.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(Buffer.from(await js.arrayBuffer()).equals(readFileSync(join(LAB, 'lab.js')))).toBe(true);
      for (const path of ['package.json', '..%2fpackage.json', 'lab/../../package.json'])
        expect((await fetch(`${url}${path}`)).status, path).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
  });

  it('a port that is not one, or taken, is one line and exit 2', async () => {
    const lab = (port: string) =>
      spawnSync(process.execPath, [join(REPO, 'dist', 'cli.mjs'), 'lab', '--port', port], {
        encoding: 'utf8',
      });
    const bad = lab('70000');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'fadump-sim: error: --port 70000: expected a TCP port, 0 to 65535 (0: any free one)\n',
    );
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const busy = lab(port);
      expect(busy.status).toBe(2);
      expect(busy.stderr).toBe(
        `fadump-sim: error: --port ${port}: address already in use; choose another, or --port 0 for any free one\n`,
      );
    } finally {
      taken.close();
    }
  });
});
