// The web UI over the fleet: Debian's Chromium (headless, through
// playwright-core) on `ember ui --server`, which asks the fleet server each
// API request. integration.fleet_server starts both and passes what each
// host sent in EMBER_UI_TRUTH ({"hosts": {NAME: {FUNCTION: samples}}}). The
// page lists a target per host with its samples; picking one draws that
// host's flame graph with the functions' samples as sent. No request may
// leave the loopback origin. A screenshot goes to $EMBER_E2E_ARTIFACTS.
import path from 'node:path';
import { check, launchPlaywright } from './browser.mjs';

const url = process.env.EMBER_UI_URL;
const truth = JSON.parse(process.env.EMBER_UI_TRUTH);
const origin = new URL(url).origin;
const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);

const browser = await launchPlaywright();
const outside = [];
const pageErrors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.route('**/*', (route) => {
    const target = route.request().url();
    if (new URL(target).origin === origin) return route.continue();
    outside.push(target);
    return route.abort();
  });
  // Waits for the render `action` starts; the page must show no error.
  const settled = async (action) => {
    const before = await page.evaluate(() => (window.ember ? window.ember.renders : 0));
    await action();
    await page.waitForFunction((n) => window.ember && window.ember.renders > n &&
      document.body.dataset.busy === '', before, { timeout: 20000 });
    const status = await page.textContent('#status');
    check(!status, `the page says: ${status}`);
    check(pageErrors.length === 0, `errors in the page: ${pageErrors.join('; ')}`);
  };
  await settled(() => page.goto(url));

  // A target per host, counting what the host sent.
  await page.click('#target-search');
  const names = Object.keys(truth.hosts);
  for (const host of names) {
    const item = page.locator(`#target-list li[data-target="label:host=${host}"]`);
    await item.waitFor({ timeout: 10000 });
    const counted = Number((await item.locator('.count').textContent()).replace(/,/g, ''));
    check(counted === sum(truth.hosts[host]), `the picker counts ${counted} samples for host ${host}, ` +
      `it sent ${sum(truth.hosts[host])}`);
  }

  // The last host picked: its flame graph has each function's samples as sent.
  const host = names[names.length - 1];
  await settled(() => page.locator(`#target-list li[data-target="label:host=${host}"]`)
    .dispatchEvent('mousedown'));
  const frames = await page.evaluate(() => window.ember.flame.frames());
  for (const [name, samples] of Object.entries(truth.hosts[host])) {
    const drawn = frames.filter((f) => f.name === name).reduce((n, f) => n + f.total, 0);
    check(drawn === samples, `host ${host}'s flame graph has ${drawn} samples in ${name}, it sent ${samples}`);
  }
  const file = path.join(process.env.EMBER_E2E_ARTIFACTS, 'ui-fleet-host.png');
  await page.screenshot({ path: file, fullPage: true });
  check(outside.length === 0, `requests left the loopback server: ${outside.join(', ')}`);
  console.log(`ok: a target per host (${names.join(', ')}), ${host}'s flame graph as sent; screenshot ${file}`);
} finally {
  await browser.close();
}
