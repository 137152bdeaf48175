// The web UI in Debian's Chromium (headless, --no-sandbox) through
// playwright-core, against `ember ui` serving a store the real agent wrote
// (test_ui_browser.py starts both and passes the truth in EMBER_UI_TRUTH).
// Every request the page makes is intercepted: one that leaves the server's
// loopback origin fails the test. Screenshots of each step go to
// $EMBER_E2E_ARTIFACTS/ui-*.png.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { check, launchPlaywright } from './browser.mjs';

const url = process.env.EMBER_UI_URL;
const truth = JSON.parse(process.env.EMBER_UI_TRUTH);
const artifacts = process.env.EMBER_E2E_ARTIFACTS;
const origin = new URL(url).origin;
const POINTS = 3;  // the hover share may differ from the truth by this much

const browser = await launchPlaywright();
const outside = [];
const pageErrors = [];
let step = 0;

async function newPage(context) {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`console: ${m.text()}`); });
  return page;
}

async function shot(page, name) {
  const file = path.join(artifacts, `ui-${++step}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

// Runs `action`, then waits for the page to finish the render it starts.
async function settled(page, action) {
  const before = await page.evaluate(() => (window.ember ? window.ember.renders : 0));
  await action();
  await page.waitForFunction((n) => window.ember && window.ember.renders > n && document.body.dataset.busy === '',
    before, { timeout: 20000 });
  const status = await page.textContent('#status');
  check(!status, `the page says: ${status}`);
  check(pageErrors.length === 0, `errors in the page: ${pageErrors.join('; ')}`);
}

// The widest Python frame in which Python spends its time (no Python frame
// below it): what a person reads as the hot function.
async function hottest(page, view = 'flame') {
  const frames = await page.evaluate((v) => window.ember[v].frames(), view);
  const leaves = frames.filter((f) => f.kind === 'python' && !f.pythonChildren);
  check(leaves.length > 0, `no Python frames drawn: ${JSON.stringify(frames.slice(0, 20))}`);
  return leaves.reduce((a, b) => (b.w > a.w ? b : a));
}

try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, acceptDownloads: true });
  await context.route('**/*', (route) => {
    const target = route.request().url();
    if (new URL(target).origin === origin) return route.continue();
    outside.push(target);
    return route.abort();
  });
  const page = await newPage(context);
  await settled(page, () => page.goto(url));

  // The service is in the picker, with its samples.
  await page.click('#target-search');
  const item = page.locator(`#target-list li[data-target="service:${truth.service}"]`);
  await item.waitFor({ timeout: 10000 });
  const counted = Number((await item.locator('.count').textContent()).replace(/,/g, ''));
  check(counted > 1000, `the picker counts ${counted} samples for ${truth.service}`);
  await shot(page, 'picker');

  // Selecting it draws a flame graph whose hot Python function is the
  // first one; hovering it shows its share of the samples.
  await settled(page, () => item.dispatchEvent('mousedown'));
  // The recording's span as a custom range, so the chart is wide enough to drag on.
  await page.fill('#range-from', (truth.start - 3).toFixed(3));
  await page.fill('#range-to', (truth.done + 3).toFixed(3));
  await settled(page, () => page.click('#range-apply'));
  let hot = await hottest(page);
  check(hot.name === truth.first, `the widest Python frame is ${hot.name}, not ${truth.first}`);
  await page.mouse.move(hot.x + hot.w / 2, hot.y + hot.h / 2);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tip = await page.textContent('#tooltip');
  const shown = Number(/([\d.]+)% of total/.exec(tip)[1]);
  const expected = truth.first_share * 100;
  console.log(`hover: ${tip.replace(/\n/g, ' | ')} (truth ${expected.toFixed(2)}%)`);
  check(tip.includes(truth.first), `the tooltip names ${tip}`);
  check(Math.abs(shown - expected) <= POINTS, `hover says ${shown}% of total, truth ${expected.toFixed(2)}%`);
  await shot(page, 'flame-graph-hover');

  // Dragging on the CPU chart over the second part redraws with the second function hot.
  const a = await page.evaluate((t) => window.ember.timeline.pagePoint(t), truth.second_from);
  const b = await page.evaluate((t) => window.ember.timeline.pagePoint(t), truth.done - 0.2);
  await settled(page, async () => {
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, a.y, { steps: 5 });
    await page.mouse.move(b.x, b.y, { steps: 5 });
    await page.mouse.up();
  });
  hot = await hottest(page);
  check(hot.name === truth.second, `after the drag the widest Python frame is ${hot.name}, not ${truth.second}`);
  const state = await page.evaluate(() => window.ember.state());
  check(Math.abs(Number(state.from) - truth.second_from) < 1.5, `the drag selected from ${state.from}`);
  await shot(page, 'dragged-second-part');

  // Search highlights the function and shows its share.
  await page.fill('#search', `^${truth.second}$`);
  await page.waitForFunction(() => /matches: [\d.]+%/.test(document.querySelector('#search-result').textContent));
  const found = Number(/matches: ([\d.]+)%/.exec(await page.textContent('#search-result'))[1]);
  check(Math.abs(found - truth.second_share_late * 100) <= POINTS,
    `search shows ${found}%, truth ${(truth.second_share_late * 100).toFixed(2)}%`);
  await shot(page, 'search');

  // Reloading the copied URL shows the same view.
  const link = page.url();
  const again = await newPage(context);
  await settled(again, () => again.goto(link));
  const reloaded = await again.evaluate(() => window.ember.state());
  for (const key of ['t', 'from', 'to', 'q', 'mode']) {
    check(reloaded[key] === state[key] || key === 'q', `the link's ${key} is ${reloaded[key]}, not ${state[key]}`);
  }
  check(reloaded.q === `^${truth.second}$`, `the link lost the search: ${reloaded.q}`);
  hot = await hottest(again);
  check(hot.name === truth.second, `the reloaded link shows ${hot.name} hot`);
  await shot(again, 'reloaded-link');

  // Clicking the hot frame zooms to it; the folded export is then that node
  // alone: its samples, every stack starting at it below its process.
  await settled(again, () => again.mouse.click(hot.x + hot.w / 2, hot.y + hot.h / 2));
  const zoomed = JSON.parse((await again.evaluate(() => window.ember.state())).zoom || '[]');
  check(zoomed[zoomed.length - 1] === truth.second, `the click zoomed to ${zoomed.join(' > ')}`);
  const [folded] = await Promise.all([again.waitForEvent('download'), again.click('#export-folded')]);
  const lines = readFileSync(await folded.path(), 'utf8').trim().split('\n');
  const prefix = `${zoomed[0]};${truth.second}`;
  const outsideZoom = lines.filter((l) => !(l.startsWith(prefix + ';') || l.startsWith(prefix + ' ')));
  const exported = lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  check(outsideZoom.length === 0, `the zoomed export has lines outside ${prefix}: ${outsideZoom.slice(0, 3).join(' | ')}`);
  check(exported === hot.total, `the zoomed export has ${exported} samples, the frame ${hot.total}`);
  check(folded.suggestedFilename().includes(truth.second), `the zoomed export is named ${folded.suggestedFilename()}`);
  await shot(again, 'zoomed');
  await settled(again, () => again.click('#breadcrumb [data-depth="0"]'));

  // Compare the two parts: one grown, one shrunk.
  await settled(again, () => again.click('#modes button[data-mode="compare"]'));
  await again.fill('#base-from', (truth.start - 3).toFixed(3));
  await again.fill('#base-to', truth.switch.toFixed(3));
  await settled(again, () => again.click('#base-apply'));
  const compareRows = () => again.$$eval('#table tr.row', (rows) => rows.map((r) => ({
    name: r.dataset.name, points: Number(r.cells[0].textContent) })));
  let deltas = await compareRows();
  const grown = deltas.find((d) => d.name === truth.second);
  const shrunk = deltas.find((d) => d.name === truth.first);
  check(grown && grown.points > 20, `compare: ${truth.second} grew ${grown && grown.points} points`);
  check(shrunk && shrunk.points < -20, `compare: ${truth.first} shrank ${shrunk && shrunk.points} points`);
  await shot(again, 'compare');

  // One process against another over the whole recording: the baseline is the
  // other process (only the second function), so the service's first function
  // grows and the second shrinks, the reverse of the comparison in time.
  const whole = [(truth.start - 3).toFixed(3), (truth.done + 3).toFixed(3)];
  await again.fill('#range-from', whole[0]);
  await again.fill('#range-to', whole[1]);
  await settled(again, () => again.click('#range-apply'));
  await again.fill('#base-from', whole[0]);
  await again.fill('#base-to', whole[1]);
  await settled(again, () => again.click('#base-apply'));
  await again.click('#base-target');
  await again.fill('#base-target', String(truth.other_pid));
  const other = again.locator(`#base-target-list li[data-target="pid:${truth.other_pid}"]`);
  await other.waitFor({ timeout: 10000 });
  await settled(again, () => other.dispatchEvent('mousedown'));
  const baseTarget = (await again.evaluate(() => window.ember.state())).bt;
  check(baseTarget === `pid:${truth.other_pid}`, `the baseline target is ${baseTarget}`);
  deltas = await compareRows();
  const gained = deltas.find((d) => d.name === truth.first);
  const lost = deltas.find((d) => d.name === truth.second);
  check(gained && gained.points > 20, `compare with ${baseTarget}: ${truth.first} grew ${gained && gained.points} points`);
  check(lost && lost.points < -20, `compare with ${baseTarget}: ${truth.second} shrank ${lost && lost.points} points`);
  const summary = await again.textContent('#compare-summary');
  check(summary.includes(baseTarget.replace(':', ' ')), `the summary does not name the baseline: ${summary}`);
  await shot(again, 'compare-processes');

  // The sandwich of the second function lists its caller, and the SVG export names it.
  await settled(again, () => again.click('#modes button[data-mode="sandwich"]'));
  const callers = await again.evaluate(() => window.ember.callers.frames().map((f) => f.name));
  check(callers.includes('serve'), `the sandwich's callers are ${callers.join(', ')}`);
  await shot(again, 'sandwich');
  const [download] = await Promise.all([again.waitForEvent('download'), again.click('#export-svg')]);
  const svg = readFileSync(await download.path(), 'utf8');
  check(download.suggestedFilename().includes(truth.second), `the SVG is named ${download.suggestedFilename()}`);
  check(svg.startsWith('<?xml') || svg.includes('<svg'), 'the export is not an SVG');
  check(svg.includes(truth.second), `the SVG does not name ${truth.second}`);

  check(outside.length === 0, `requests left the loopback server: ${outside.join(', ')}`);
  console.log(`ok: ${truth.first} ${expected.toFixed(2)}% (hover ${shown}%), then ${truth.second} hot; ` +
    `compare ${shrunk.points} / +${grown.points} points, against ${baseTarget} +${gained.points} / ` +
    `${lost.points}; no request left ${origin}`);
} finally {
  await browser.close();
}
