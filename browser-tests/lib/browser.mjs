// Headless Debian Chromium through playwright-core (never `playwright
// install`), axe-core injected for accessibility checks, screenshots into
// test-output/ (not committed).

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

import { within } from './process.mjs';

const require = createRequire(import.meta.url);
export const outputDir = resolve(import.meta.dirname, '..', 'test-output');

export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

export async function launch() {
  await mkdir(outputDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
  });
}

/**
 * A page that records what the CSP blocked and any script error, so a test
 * can require that nothing was blocked.
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) {
      page.problems.push(text);
    }
  });
  page.on('pageerror', (e) => page.problems.push(String(e)));
  return page;
}

let axeSource;

/**
 * Runs axe-core on the page (WCAG 2.x A/AA rules) and returns the serious and
 * critical violations. axe is evaluated through the DevTools protocol, which
 * the page's CSP does not govern; the page itself is not changed.
 */
export async function seriousViolations(page) {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // page.evaluate has no timeout of its own.
  const result = await within(60_000, 'axe-core', (async () => {
    await page.evaluate(axeSource);
    return page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      }),
    );
  })());
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });
}

/** Fails on any serious or critical axe violation, CSP refusal or script error of the page. */
export async function expectAccessible(page, name) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe on ${name}`);
  assert.deepEqual(page.problems, [], `CSP or script errors on ${name}`);
}

/** Opens the header's account menu (Profile, Progress, Certificates, Live classes, Billing, Sign out). */
export async function openAccountMenu(page) {
  const menu = page.locator('details.account-menu');
  if (!(await menu.evaluate((d) => d.open))) await menu.locator('summary').click();
}
