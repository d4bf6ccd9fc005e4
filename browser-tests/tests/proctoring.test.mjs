// Proctoring in headless Chromium against a real `invigil demo`: the demo
// candidate's proctored exam sends its signals (a real second page taking the
// front, copy, PrintScreen, offline/online), webcam frames from the fake
// camera and, the fake stream showing no face, a NO_FACE_DETECTED event from
// the on-device face check (face-api + tfjs under our CSP); a second browser
// context opens the pairing QR link as the phone, taps Start camera and
// uploads MOBILE frames. Everything is checked on the server through the
// reviewer's session timeline.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { chromium } from 'playwright-core';

import { FLAGS, launch, newPage, screenshot, seriousViolations } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';
const REVIEWER = 'proctor@demo.example.org';
const ORG = 'demo-university';

describe('proctoring', () => {
  let server;
  let browser;
  let sessionId;
  let candidatePage;
  let candidateCsrf;

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  let reviewerToken;
  async function timeline() {
    reviewerToken ??= await server.token(REVIEWER);
    const res = await fetch(`${server.url}/api/v1/orgs/${ORG}/sessions/${sessionId}/timeline`, {
      headers: { Authorization: `Bearer ${reviewerToken}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).items;
  }

  /** Waits until the session's timeline has an item matching `want`. */
  async function waitForItem(what, want, seconds = 40) {
    const until = Date.now() + seconds * 1000;
    let items = [];
    while (Date.now() < until) {
      items = await timeline();
      const found = items.find(want);
      if (found) return found;
      await new Promise((ok) => setTimeout(ok, 500));
    }
    assert.fail(`no ${what} on the server's timeline: ${JSON.stringify(items.map((i) => [i.kind, i.type, i.source]))}`);
  }

  const event = (type, source = 'LAPTOP') => (i) => i.kind === 'EVENT' && i.type === type && i.source === source;
  const frame = (source) => (i) => i.kind === 'FRAME' && i.source === source;

  async function signIn(page) {
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email address').fill(CANDIDATE);
    await page.getByLabel('Password').fill(server.accounts.get(CANDIDATE));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/me\/exams$/);
  }

  async function csrfOf(page) {
    return page.locator('meta[name="csrf-token"]').getAttribute('content');
  }

  /** Starts the demo exam through /web-api as the page script does. */
  async function startExam(page) {
    const token = await server.token(CANDIDATE);
    const exams = await (await fetch(`${server.url}/api/v1/me/exams`, {
      headers: { Authorization: `Bearer ${token}` },
    })).json();
    const exam = exams.items.find((e) => e.enable_proctoring !== false) ?? exams.items[0];
    const res = await page.request.post(`${server.url}/web-api/v1/exams/${exam.exam_id}/sessions`, {
      headers: { 'X-CSRF-Token': await csrfOf(page) },
    });
    assert.equal(res.status(), 201, await res.text());
    return (await res.json()).session_id;
  }

  test('the exam page sends signals, frames and the face check', async () => {
    const page = await newPage(browser);
    candidatePage = page;
    await signIn(page);
    candidateCsrf = await csrfOf(page);
    sessionId = await startExam(page);

    await page.goto(`${server.url}/exam/${sessionId}`);
    // The camera preview plays the fake camera.
    await page.waitForFunction(() => [...document.querySelectorAll('video')].some((v) => v.readyState >= 2), null, { timeout: 20_000 });

    // Frames from the fake camera, and no face in it: NO_FACE_DETECTED.
    await waitForItem('LAPTOP frame', frame('LAPTOP'));
    const noFace = await waitForItem('NO_FACE_DETECTED', event('NO_FACE_DETECTED'));
    assert.equal(noFace.meta.faces, 0);

    // Another page of the browser takes the front: the exam window loses
    // the focus for real (WINDOW_BLUR). Headless Chromium keeps every page
    // "visible" (it has no tab strip to hide a page in: webdriverio#9694,
    // w3c/webdriver#1718), so the tab's hiding is emulated on top of the
    // real blur: visibilityState reads "hidden" and the browser's event fires.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
    const other = await page.context().newPage();
    await other.goto(`${server.url}/signin`);
    await other.bringToFront();
    await waitForItem('WINDOW_BLUR', event('WINDOW_BLUR'), 20);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitForItem('TAB_SWITCH', event('TAB_SWITCH'), 20);
    await page.evaluate(() => {
      delete document.visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await other.close();
    await page.bringToFront();

    // Copy from the page and PrintScreen.
    await page.locator('main').first().click({ position: { x: 5, y: 5 } });
    await page.evaluate(() => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector('h1') ?? document.body);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    });
    await page.keyboard.press('ControlOrMeta+c');
    await page.keyboard.press('PrintScreen');
    await waitForItem('COPY_PASTE', event('COPY_PASTE'), 20);
    await waitForItem('SCREENSHOT_ATTEMPT', event('SCREENSHOT_ATTEMPT'), 20);

    // Full screen, when the exam requires it: a button enters it, leaving
    // it is a signal.
    const fullscreen = page.getByRole('button', { name: 'Go to full screen' });
    if (await fullscreen.count()) {
      await fullscreen.click();
      await page.waitForFunction(() => document.fullscreenElement !== null);
      await page.keyboard.press('Escape');
      await page.evaluate(() => document.fullscreenElement && document.exitFullscreen());
      await waitForItem('FULLSCREEN_EXIT', event('FULLSCREEN_EXIT'), 20);
      await fullscreen.waitFor();
    }

    // Offline: the events wait on the device and arrive once back online.
    await page.context().setOffline(true);
    await page.waitForTimeout(1500);
    await page.context().setOffline(false);
    await waitForItem('NETWORK_OFFLINE', event('NETWORK_OFFLINE'), 30);
    await waitForItem('NETWORK_ONLINE', event('NETWORK_ONLINE'), 30);

    await screenshot(page, 'exam-proctored');
    assert.deepEqual(page.problems, [], 'CSP or script errors on the exam page');
  });

  test('without WebGL the face check runs on the CPU backend, under the same CSP', async () => {
    assert.ok(sessionId, 'the exam test ran first');
    const noGl = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      // No GPU (--disable-gpu) and no software GL either: no WebGL at all.
      args: [...FLAGS, '--disable-software-rasterizer'],
    });
    try {
      const page = await newPage(noGl);
      const backend = new Promise((ok) => {
        page.on('console', (m) => {
          const found = m.text().match(/face check on the (\w+) backend/);
          if (found) ok(found[1]);
        });
      });
      await signIn(page);
      await page.goto(`${server.url}/exam/${sessionId}`);
      assert.equal(await page.evaluate(() => !!document.createElement('canvas').getContext('webgl')
        || !!new OffscreenCanvas(1, 1).getContext('webgl2')), false, 'WebGL is off in this browser');
      assert.equal(await backend, 'cpu');
      // The detector runs there too: this page's own NO_FACE_DETECTED arrives.
      const before = (await timeline()).filter(event('NO_FACE_DETECTED')).length;
      const until = Date.now() + 40_000;
      while ((await timeline()).filter(event('NO_FACE_DETECTED')).length <= before) {
        assert.ok(Date.now() < until, 'no NO_FACE_DETECTED from the CPU backend');
        await new Promise((ok) => setTimeout(ok, 500));
      }
      assert.deepEqual(page.problems, [], 'CSP or script errors without WebGL');
    } finally {
      await noGl.close();
    }
  });

  test('a second browser context pairs as the phone and uploads MOBILE frames', async () => {
    assert.ok(sessionId, 'the exam test ran first');
    const res = await candidatePage.request.post(`${server.url}/web-api/v1/sessions/${sessionId}/pairing-qr`, {
      headers: { 'X-CSRF-Token': candidateCsrf },
    });
    assert.equal(res.status(), 200, await res.text());
    const qr = await res.json();
    assert.ok(qr.url.startsWith(`${server.url}/pair?token=`), qr.url);
    assert.match(qr.svg, /^<svg class="qr" role="img" aria-label="[^"]+"/);

    const phone = await newPage(browser, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    await phone.goto(qr.url);
    await phone.getByRole('heading', { name: 'Use this phone as a second camera' }).waitFor();
    assert.deepEqual(await seriousViolations(phone), [], 'axe on the phone page');
    await phone.getByRole('button', { name: 'Start camera' }).tap();
    await phone.getByText(/Connected to your exam/).waitFor({ timeout: 20_000 });
    await waitForItem('MOBILE frame', frame('MOBILE'));
    await phone.getByText(/Last photo sent at/).waitFor({ timeout: 20_000 });
    await screenshot(phone, 'phone');
    assert.deepEqual(await seriousViolations(phone), [], 'axe on the running phone page');
    assert.deepEqual(phone.problems, [], 'CSP or script errors on the phone page');

    // A reload loses the credential: the page asks for a new code without
    // claiming the used one again (which the server records as a second device).
    const secondDevice = (await timeline()).filter(event('SECOND_DEVICE_LOGIN', 'SYSTEM')).length;
    await phone.reload();
    await phone.getByRole('button', { name: 'Start camera' }).tap();
    await phone.getByText(/reloaded.*Scan a new code from the exam page/).waitFor();
    assert.equal((await timeline()).filter(event('SECOND_DEVICE_LOGIN', 'SYSTEM')).length, secondDevice);

    // The same link on another phone (a used code): a plain message to scan a new one.
    const again = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await again.goto(qr.url);
    await again.getByRole('button', { name: 'Start camera' }).tap();
    await again.getByText('Scan a new code from the exam page.', { exact: false }).waitFor();
    await screenshot(again, 'phone-used-code');
    await again.context().close();

    // A garbled link: a friendly page.
    const garbled = await newPage(browser, { viewport: { width: 390, height: 844 } });
    await garbled.goto(`${server.url}/pair?token=oops`);
    await garbled.getByRole('heading', { name: 'This link is not complete' }).waitFor();
    assert.deepEqual(await seriousViolations(garbled), [], 'axe on the garbled-link page');
    await garbled.context().close();
    await phone.context().close();
  });
});
