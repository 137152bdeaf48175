// One view of the UI in Debian's Chromium through tests/e2e's playwright-core
// (run.py starts a fresh `ember ui` for each call): from navigation to the
// first drawn flame graph, the redraw after a range change and after a click
// to zoom (the UI's `ember:drawn` mark and `ember:render` measures, web/src/app.js),
// the flame graph's canvas draw alone, and a hover's tooltip to the next
// frame. Prints one line of JSON (milliseconds; first paint with its parts:
// the page's scripts loaded, the API's answers).
//
//   node bench/ui/paint.mjs URL QUERY NEW_FROM   (cwd tests/e2e)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('package.json'));
const { chromium } = require('playwright-core');
const [url, query, newFrom] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });

const settled = (page, renders) => page.waitForFunction(
  (n) => window.ember && window.ember.renders > n && document.body.dataset.busy === '', renders, { timeout: 300000 });
const renders = (page) => page.evaluate(() => window.ember.renders);
const lastRender = (page) => page.evaluate(() => performance.getEntriesByName('ember:render').at(-1).duration);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url + query);
  await settled(page, 0);
  const marked = await page.evaluate(() => performance.getEntriesByName('ember:drawn').length > 0);
  if (!marked) throw new Error('the UI sets no ember:drawn mark (a build before the marks)');
  // Its parts: the page's scripts loaded (the first render's start), the API
  // answers' time (request to last byte) within that render.
  const [first, scripts, api] = await page.evaluate(() => {
    const drawn = performance.getEntriesByName('ember:drawn')[0].startTime;
    const start = performance.getEntriesByName('ember:render-start')[0].startTime;
    const answers = performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/v1/') && e.startTime >= start && e.responseEnd <= drawn);
    return [drawn, start, answers.reduce((sum, e) => sum + e.duration, 0)];
  });
  const nodes = await page.evaluate(() => {
    let n = 0;
    const stack = [window.ember.flame.root];
    while (stack.length) { const x = stack.pop(); n++; stack.push(...x.children); }
    return n;
  });
  const frames = await page.evaluate(() => window.ember.flame.frames());
  // The canvas redrawn alone (what a resize or a search costs).
  const draw = await page.evaluate(() => {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      window.ember.flame.draw();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[2];
  });
  // Hover: the tooltip of frames across the graph, each to the next frame.
  const targets = frames.filter((f) => f.w >= 4).filter((_, i, all) => i % Math.max(1, Math.floor(all.length / 25)) === 0);
  const hovers = [];
  for (const f of targets) {
    hovers.push(await page.evaluate(({ x, y }) => new Promise((resolve) => {
      const canvas = document.getElementById('flame');
      const t = performance.now();
      canvas.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t), 0));
    }), { x: f.x + f.w / 2, y: f.y + f.h / 2 }));
  }
  // A range change: the timeline and flame graph of the new range.
  let before = await renders(page);
  await page.fill('#range-from', newFrom);
  await page.click('#range-apply');
  await settled(page, before);
  const redraw = await lastRender(page);
  // Click to zoom into the widest frame of the second row (a process of the
  // host, the root's child otherwise): under half of the graph, the UI asks
  // for the detail its width needs.
  const rows = await page.evaluate(() => window.ember.flame.frames());
  const top = Math.min(...rows.map((f) => f.y));
  const second = rows.filter((f) => f.y > top).sort((a, b) => a.y - b.y || b.w - a.w)[0];
  before = await renders(page);
  await page.mouse.click(second.x + second.w / 2, second.y + second.h / 2);
  await settled(page, before);
  const zoom = await lastRender(page);
  console.log(JSON.stringify({ nodes, drawn: frames.length, first, scripts, api, redraw, zoom, draw, hover: median(hovers), hovers: hovers.length }));
} finally {
  await browser.close();
}
