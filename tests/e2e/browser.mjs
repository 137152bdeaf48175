// Headless Chromium (Debian's) driven through puppeteer-core (launch) or
// playwright-core (launchPlaywright): no browser is downloaded. Fails with a
// clear message when the npm packages are missing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function launch() {
  let puppeteer;
  try {
    puppeteer = require('puppeteer-core');
  } catch (e) {
    throw new Error('puppeteer-core is missing: run scripts/install-deps.sh (npm ci in tests/e2e)');
  }
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
  });
}

// The web UI tests use playwright-core for its request routing.
export async function launchPlaywright() {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch {
    throw new Error('playwright-core is missing: run scripts/install-deps.sh (npm ci in tests/e2e)');
  }
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}
