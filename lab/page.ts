/// <reference lib="dom" />
// The lab's page: pick a built-in scenario or edit its YAML (the first problem shown at its line and
// column as it is typed), run it in the page, and get the report's player and the run's files to
// download. The model is the one the command line runs (lab/model.ts), bundled for the browser.
// `#scenario=NAME` in the address opens that built-in scenario, and `#scenario=NAME&step=N` runs it
// and shows the player's step N (the player keeps the address current), so a teacher can link to
// either.

import BUILT_IN from 'lab:scenarios';
import { seconds as secs } from '../api/index.ts';
import {
  type CompareOutcome,
  type Comparison,
  compareSvg,
  crashAt,
  runComparison,
  timeAt,
} from './compare.ts';
import { checkScenario, DOWNLOAD_LIMIT, type LabCheck, type LabFile, runInPage, sizeText } from './model.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const picker = $<HTMLSelectElement>('scenario');
const editor = $<HTMLTextAreaElement>('editor');
const gutter = $<HTMLPreElement>('gutter');
const problem = $<HTMLParagraphElement>('problem');
const runButton = $<HTMLButtonElement>('run');
const status = $<HTMLParagraphElement>('status');
const downloads = $<HTMLUListElement>('downloads');
const verifyList = $<HTMLUListElement>('verify');
const report = $<HTMLIFrameElement>('report');
const compareButton = $<HTMLButtonElement>('compare');
const compareView = $<HTMLElement>('compare-view');
const comparePicture = $<HTMLDivElement>('compare-picture');
const compareAt = $<HTMLInputElement>('compare-at');
const compareAtText = $<HTMLOutputElement>('compare-at-text');
const compareOutcome = $<HTMLTableElement>('compare-outcome').tBodies[0]!;

let check: LabCheck | undefined;
let urls: string[] = [];
/** The step the next report opens at. */
let goTo: number | undefined;
/** A check of the editor's text waiting for typing to pause. */
let pending: ReturnType<typeof setTimeout> | undefined;

for (const s of BUILT_IN) picker.add(new Option(s.name, s.name));

/** Loads a built-in scenario into the editor. */
function load(name: string): void {
  const s = BUILT_IN.find((b) => b.name === name) ?? BUILT_IN.find((b) => b.name === 'default')!;
  picker.value = s.name;
  editor.value = s.text;
  address();
  recheck();
}

/** The address: the scenario picked and, once a run is shown, the player's step. */
function address(step?: number): void {
  const name = `#scenario=${encodeURIComponent(picker.value)}`;
  history.replaceState(null, '', step ? `${name}&step=${step}` : name);
}

/** Checks the editor's text: the first problem marked on its line, Run enabled only when none. */
function recheck(): void {
  check = checkScenario(editor.value);
  const lines = editor.value.split('\n').length;
  const bad = check.ok ? 0 : check.problem.line;
  gutter.innerHTML = Array.from({ length: lines }, (_, i) =>
    i + 1 === bad ? `<span class="bad" id="bad-line">${i + 1}</span>` : String(i + 1),
  ).join('\n');
  gutter.scrollTop = editor.scrollTop;
  if (check.ok) {
    problem.hidden = true;
    problem.textContent = '';
    runButton.disabled = false;
    compareButton.disabled = false;
  } else {
    problem.hidden = false;
    problem.textContent = check.problem.text;
    problem.dataset.line = String(check.problem.line);
    problem.dataset.col = String(check.problem.col);
    runButton.disabled = true;
    compareButton.disabled = true;
  }
}

/** Puts the caret where the problem is. */
function goToProblem(): void {
  if (!check || check.ok) return;
  const { line, col } = check.problem;
  const starts = editor.value.split('\n').slice(0, line - 1);
  const at = starts.reduce((n, l) => n + l.length + 1, 0) + col - 1;
  editor.focus();
  editor.setSelectionRange(at, at);
}

/** A link that downloads the file, its address freed with the next run. */
function fileLink(f: LabFile): HTMLAnchorElement {
  const url = URL.createObjectURL(new Blob(f.pieces() as BlobPart[], { type: 'application/octet-stream' }));
  urls.push(url);
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  a.textContent = `${f.name} (${sizeText(f.size)})`;
  return a;
}

/** Runs the editor's scenario; `step`: the player's step to show once the report is in. */
async function run(step?: number): Promise<void> {
  checkNow();
  if (!check?.ok) return;
  goTo = step;
  const ready = check;
  runButton.disabled = true;
  status.textContent = 'Running…';
  for (const u of urls) URL.revokeObjectURL(u);
  urls = [];
  downloads.replaceChildren();
  verifyList.replaceChildren();
  // Let the page show that it is running before the model takes the thread.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  try {
    const t0 = performance.now();
    const r = await runInPage(ready, picker.value);
    const d = r.summary.dump;
    // As `run` says it: the dump, then what verification found and the warnings, a line each.
    const lines = [...r.verdict.verify, ...r.verdict.warnings.map((w) => `warning: ${w}`)];
    const expectations = r.failed.length ? ` Expectations that failed: ${r.failed.join('; ')}.` : '';
    const said = r.verdict.dump.endsWith('.') ? r.verdict.dump : `${r.verdict.dump}.`;
    status.textContent = `dump: ${said}${expectations} Ran in ${(performance.now() - t0).toFixed(0)} ms.`;
    verifyList.replaceChildren(
      ...lines.map((l) => {
        const li = document.createElement('li');
        li.textContent = l;
        return li;
      }),
    );
    status.dataset.dump = d.status;
    status.dataset.failed = String(r.failed.length);
    for (const f of r.files) {
      const li = document.createElement('li');
      li.dataset.file = f.name;
      if (f.size <= DOWNLOAD_LIMIT) li.append(fileLink(f));
      else {
        li.append(`${f.name} (${sizeText(f.size)}, sparse): too large to download from a page. `);
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = 'Save it filtered as makedumpfile -E -d 31 would';
        b.addEventListener('click', async () => {
          b.disabled = true;
          const small = await r.filtered(f.name);
          b.replaceWith(fileLink(small));
        });
        li.append(b);
      }
      downloads.append(li);
    }
    report.srcdoc = r.report;
    report.hidden = false;
  } catch (e) {
    status.textContent = `The run failed: ${(e as Error).message}`;
    status.dataset.dump = 'error';
  } finally {
    runButton.disabled = !check?.ok;
  }
}

// Compare mode: the comparison drawn, and the scenario it was made of (picks crash that one).
let comparison: { c: Comparison; of: Extract<LabCheck, { ok: true }> } | undefined;

/** The comparison with the crash at `o.at`: the picture, the slider and each kernel's outcome. */
function drawComparison(o: CompareOutcome): void {
  const { c } = comparison!;
  comparePicture.innerHTML = compareSvg(c, o.at);
  compareAt.value = String(Math.round((Number(o.at - c.start) / Number(c.end - c.start)) * 1000));
  compareAtText.textContent = secs(o.at);
  compareOutcome.replaceChildren(
    ...c.sides.map((side, i) => {
      const d = o.dump[i]!;
      const tr = document.createElement('tr');
      tr.dataset.status = d.status;
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = side.label;
      const td = document.createElement('td');
      td.className = d.status === 'captured' ? 'captured' : 'lost';
      td.textContent =
        d.status === 'captured' ? 'a dump, captured' : `no dump (${d.status}): ${d.reason ?? ''}`;
      tr.append(th, td);
      return tr;
    }),
  );
  compareView.dataset.at = String(o.at);
}

async function compare(): Promise<void> {
  checkNow();
  if (!check?.ok) return;
  const of = check;
  compareButton.disabled = true;
  status.textContent = 'Comparing…';
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  try {
    const c = await runComparison(of);
    comparison = { c, of };
    drawComparison(c.outcome);
    compareView.hidden = false;
    status.textContent = `Compared: ${c.sides.map((s) => `${s.label}, ${s.reRegistrations} re-registrations`).join('; ')}.`;
  } catch (e) {
    status.textContent = `The comparison failed: ${(e as Error).message}`;
  } finally {
    compareButton.disabled = !check?.ok;
  }
}

/** Both kernels crashing at `t` instead. */
async function pick(t: bigint): Promise<void> {
  if (!comparison) return;
  const { c, of } = comparison;
  if (t < c.earliest) {
    compareAtText.textContent = `${secs(t)}: too early, the first kernel is up and registered at ${secs(c.earliest)}`;
    return;
  }
  compareAtText.textContent = `${secs(t)}…`;
  try {
    drawComparison(await crashAt(of, t));
  } catch (e) {
    compareAtText.textContent = `${secs(t)}: ${(e as Error).message}`;
  }
}

let picking: ReturnType<typeof setTimeout> | undefined;
compareAt.addEventListener('input', () => {
  if (!comparison) return;
  clearTimeout(picking);
  const { start, end } = comparison.c;
  const t = start + ((end - start) * BigInt(compareAt.value)) / 1000n;
  compareAtText.textContent = secs(t);
  picking = setTimeout(() => void pick(t), 200);
});
comparePicture.addEventListener('click', (e) => {
  const svg = comparePicture.querySelector('svg');
  if (!svg || !comparison) return;
  const box = svg.getBoundingClientRect();
  const viewBox = svg.viewBox.baseVal;
  void pick(timeAt(comparison.c, ((e.clientX - box.left) / box.width) * viewBox.width));
});
compareButton.addEventListener('click', () => void compare());

/** The text as it is now, checked: a run never starts from a check that typing has overtaken. */
function checkNow(): void {
  if (pending === undefined) return;
  clearTimeout(pending);
  pending = undefined;
  recheck();
}

editor.addEventListener('input', () => {
  clearTimeout(pending);
  pending = setTimeout(() => {
    pending = undefined;
    recheck();
  }, 150);
});
editor.addEventListener('scroll', () => {
  gutter.scrollTop = editor.scrollTop;
});
// Tab indents (two spaces, as the scenarios are written); Escape leaves the editor for the keyboard.
editor.addEventListener('keydown', (e) => {
  if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey) {
    e.preventDefault();
    editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
    editor.dispatchEvent(new Event('input'));
  } else if (e.key === 'Escape') runButton.focus();
});
picker.addEventListener('change', () => load(picker.value));
problem.addEventListener('click', goToProblem);
runButton.addEventListener('click', () => void run());
report.addEventListener('load', () => {
  // As tall as the report, so the page scrolls as one.
  const doc = report.contentDocument;
  if (doc) report.style.height = `${doc.documentElement.scrollHeight + 24}px`;
  if (goTo) report.contentWindow?.postMessage({ fadumpSimGoTo: goTo }, '*');
  address(goTo);
});
// The player's step, kept in the address.
window.addEventListener('message', (e) => {
  if (e.source === report.contentWindow && typeof e.data?.fadumpSimStep === 'number')
    address(e.data.fadumpSimStep);
});

/** Opens what the address names: a built-in scenario, run at a step when it names one. */
function follow(): void {
  const linked = /^#scenario=([^&]+)(?:&step=(\d+))?$/.exec(location.hash);
  load(decodeURIComponent(linked?.[1] ?? 'default'));
  if (linked?.[2]) void run(Number(linked[2]));
}
// A link to another scenario followed from this page (the address the lab keeps raises none).
window.addEventListener('hashchange', follow);
follow();
