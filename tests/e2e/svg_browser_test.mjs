// The SVG flame graph in headless Chromium: real mouse moves and clicks
// through the DevTools protocol. Expectations come from story_profile.json.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { launch } from './browser.mjs';

const fixture = JSON.parse(readFileSync(process.env.EMBER_E2E_FIXTURE, 'utf8'));
const svgPath = path.join(process.env.EMBER_E2E_PROFILES, 'story.svg');

// Samples under each function name (a sample counts once per name).
const total = fixture.samples.reduce((sum, s) => sum + s.count, 0);
const under = {};
for (const s of fixture.samples) {
  for (const name of new Set(s.stack.map((i) => fixture.frames[i].name))) {
    under[name] = (under[name] || 0) + s.count;
  }
}
const share = (n) => ((100 * n) / total).toFixed(2) + '%';

const box = (page, name) => page.$(`g.f[data-n="${name}"] rect`);
const width = (page, name) =>
  page.$eval(`g.f[data-n="${name}"] rect`, (r) => r.getBoundingClientRect().width);
const shown = (page, name) =>
  page.$eval(`g.f[data-n="${name}"]`, (g) => getComputedStyle(g).display !== 'none');
const text = (page, id) => page.$eval(`#${id}`, (e) => e.textContent.trim());

test('SVG flame graph: hover, click to zoom, search, legend', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1300, height: 900 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + svgPath, { waitUntil: 'load' });
    const full = await width(page, 'all');

    // Hover: name, samples and share of the box under the mouse.
    await (await box(page, 'list_remove')).hover();
    assert.equal(await text(page, 'details'),
        `list_remove (native): ${under.list_remove} samples, ${share(under.list_remove)}`);
    await (await box(page, 'handler')).hover();
    assert.match(await text(page, 'details'), new RegExp(`^handler \\(python\\): ${under.handler} samples`));

    // Click: render fills the width, what it called scales with it, its
    // callers stay (dimmed), the rest hides.
    const writeBefore = await width(page, 'write');
    await (await box(page, 'render')).click();
    assert.ok(Math.abs((await width(page, 'render')) - full) < 1, 'render fills the width');
    const expectedWrite = (full * under.write) / under.render;
    assert.ok(Math.abs((await width(page, 'write')) - expectedWrite) < 1,
        `write scaled from ${writeBefore} to ${expectedWrite}`);
    assert.equal(await shown(page, 'list_remove'), false, 'a sibling branch hides');
    assert.equal(await shown(page, 'nginx'), false, 'another process hides');
    assert.equal(await shown(page, 'handler'), true, 'the caller stays');
    assert.equal(await page.$eval('g.f[data-n="handler"]', (g) => g.classList.contains('parent')), true);

    // Reset zoom brings everything back.
    await page.click('#unzoom');
    assert.equal(await shown(page, 'list_remove'), true);
    assert.ok(Math.abs((await width(page, 'render')) - (full * under.render) / total) < 1);

    // Search: matches highlighted, their share counted once.
    await page.type('#search', 'biggest');
    assert.equal(await text(page, 'matched'), `Matched: ${share(under.__get_biggest_five_of)} (1 frames)`);
    const fill = await page.$eval('g.f[data-n="__get_biggest_five_of"] rect', (r) => getComputedStyle(r).fill);
    assert.equal(fill, 'rgb(230, 0, 230)');
    await page.$eval('#search', (e) => { e.value = ''; });
    await page.type('#search', 'e');  // nested matches: every sample once at most
    assert.equal(await text(page, 'matched'), 'Matched: 100.00%' + ` (${await page.$$eval('g.f.match', (g) => g.length)} frames)`);

    // Legend: six kinds; Python is yellow.
    const legend = await page.$$eval('g.legend-item text', (t) => t.map((e) => e.textContent));
    assert.deepEqual(legend, ['Python', 'native', 'kernel', 'Java', 'Node', 'Go']);
    const python = await page.$eval('g.legend-item[data-k="python"] rect', (r) => getComputedStyle(r).fill);
    const [red, green, blue] = python.match(/\d+/g).map(Number);
    assert.ok(red > 200 && green > 180 && blue < 100, `Python is yellow, got ${python}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

// A deep Python profile opens on the graph: in a 1280x1000 window the hot
// function's box is in view without scrolling (an icicle), as are the legend
// and the hover line. Screenshot: tests/e2e/artifacts/svg-deep.png.
test('SVG flame graph: deep stacks open with the hot function in view', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto('file://' + path.join(process.env.EMBER_E2E_PROFILES, 'deep.svg'),
        { waitUntil: 'load' });
    const inView = (selector) => page.$eval(selector, (e) => {
      const r = e.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight && r.width > 0;
    });
    const height = await page.$eval('svg', (s) => s.getBoundingClientRect().height);
    assert.ok(height > 1900, `the graph is ${height} px tall: not a deep profile`);
    assert.equal(await inView('g.f[data-n="hot_function"] rect'), true, 'hot_function below the fold');
    assert.equal(await inView('g.legend-item[data-k="python"] rect'), true, 'legend below the fold');
    await (await box(page, 'hot_function')).hover();
    assert.match(await text(page, 'details'), /^hot_function \(python\): 90 samples, 90\.00%/);
    assert.equal(await inView('#details'), true, 'hover line below the fold');
    const artifacts = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'svg-deep.png') });
  } finally {
    await browser.close();
  }
});
