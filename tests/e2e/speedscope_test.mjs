// ember's speedscope JSON against speedscope itself (npm package `speedscope`):
// validated with its published file-format schema, then imported by its own
// page in headless Chromium through the "Browse" file chooser.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { launch } from './browser.mjs';

const require = createRequire(import.meta.url);
const release = path.join(path.dirname(require.resolve('speedscope/package.json')), 'dist/release');
const file = path.join(process.env.EMBER_E2E_PROFILES, 'story.speedscope.json');
const fixture = JSON.parse(readFileSync(process.env.EMBER_E2E_FIXTURE, 'utf8'));

test('speedscope JSON matches speedscope\'s schema', () => {
  const Ajv = require('ajv');
  const schema = JSON.parse(readFileSync(path.join(release, 'file-format-schema.json'), 'utf8'));
  const validate = new Ajv({ strict: false }).compile(schema);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 1));
  // The schema is strict enough to catch a broken file.
  const broken = structuredClone(doc);
  broken.profiles[0].weights = 'x';
  assert.equal(validate(broken), false);
  // One profile per thread; weights add up to the fixture's samples.
  const weights = doc.profiles.flatMap((p) => p.weights).reduce((a, b) => a + b, 0);
  assert.equal(weights, fixture.samples.reduce((a, s) => a + s.count, 0));
  assert.equal(doc.profiles.length, fixture.threads.length);
});

test('speedscope imports it', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + path.join(release, 'index.html'), { waitUntil: 'load' });
    const browse = await page.waitForSelector('::-p-text(Browse)');
    const [chooser] = await Promise.all([page.waitForFileChooser(), browse.click()]);
    await chooser.accept([file]);
    await page.waitForFunction(() => document.title !== 'speedscope', { timeout: 20000 });
    assert.equal(await page.title(), 'story - speedscope');
    const body = await page.$eval('body', (b) => b.innerText);
    assert.doesNotMatch(body, /something went wrong|unrecognized format/i);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
