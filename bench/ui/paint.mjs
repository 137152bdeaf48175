// Time to the first drawn flame graph, and to the redraw after a range change,
// of each view [label, query, new from] (run.py passes them), in Debian's
// Chromium through tests/e2e's playwright-core.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('package.json'));
const { chromium } = require('playwright-core');
const [url, viewsJson] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  console.log('\n| view | frames drawn | first paint | redraw after a range change |\n|---|---|---|---|');
  for (const [label, query, newFrom] of JSON.parse(viewsJson)) {
    const began = Date.now();
    await page.goto(url + query);
    await page.waitForFunction(() => window.ember && window.ember.renders > 0 && document.body.dataset.busy === '', null, { timeout: 300000 });
    const first = Date.now() - began;
    const nodes = await page.evaluate(() => window.ember.flame.frames().length);
    const before = await page.evaluate(() => window.ember.renders);
    await page.fill('#range-from', newFrom);
    const again = Date.now();
    await page.click('#range-apply');
    await page.waitForFunction((n) => window.ember.renders > n && document.body.dataset.busy === '', before, { timeout: 300000 });
    const redraw = Date.now() - again;
    console.log(`| ${label} | ${nodes} | ${first} ms | ${redraw} ms |`);
  }
} finally {
  await browser.close();
}
