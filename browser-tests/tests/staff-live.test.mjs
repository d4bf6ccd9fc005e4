// Issue 12, test 1: a proctor (proctor@, PROCTOR_REVIEWER) watches the demo
// exam's live console while the candidate (a second browser context) takes
// the exam and switches tabs: the flag appears on the proctor's page without
// a reload; the proctor extends the candidate's time and the candidate's
// timer changes within 5 s; the reviewer opens the timeline, sees the events
// behind the flag and clears the session. axe on every page of the console
// and the review; screenshots staff-live, staff-review-queue, staff-review.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';
const PROCTOR = 'proctor@demo.example.org';
const ORG = 'demo-university';

describe('staff live console and review', () => {
  let server;
  let browser;
  let examId;
  let sessionId;
  let candidatePage;
  let proctorPage;

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signIn(page, email, landing) {
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(server.accounts.get(email));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(landing);
  }

  let proctorToken;
  /** The roster row of the candidate's session, through the API. */
  async function rosterRow() {
    proctorToken ??= await server.token(PROCTOR);
    const res = await fetch(`${server.url}/api/v1/orgs/${ORG}/exams/${examId}/sessions`, {
      headers: { Authorization: `Bearer ${proctorToken}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).items.find((r) => r.session_id === sessionId);
  }

  /** The candidate's timer in seconds (`mm:ss` or `h:mm:ss`). */
  async function timerSeconds() {
    const text = (await candidatePage.locator('#exam-timer').textContent()).trim();
    const parts = text.split(':').map(Number);
    assert.ok(parts.every(Number.isFinite), `timer reads ${text}`);
    return parts.reduce((acc, n) => acc * 60 + n, 0);
  }

  /** The candidate's tab is hidden and shown again (headless Chromium has no tab strip). */
  async function switchTab() {
    await candidatePage.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await candidatePage.waitForTimeout(300);
    await candidatePage.evaluate(() => {
      delete document.visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await candidatePage.waitForTimeout(300);
  }

  test('the proctor sees the flag live and extends the time; the candidate sees it within 5 s', async () => {
    // The candidate starts the demo's proctored exam.
    candidatePage = await newPage(browser);
    await signIn(candidatePage, CANDIDATE, /\/me\/exams$/);
    const token = await server.token(CANDIDATE);
    const exams = await (await fetch(`${server.url}/api/v1/me/exams`, {
      headers: { Authorization: `Bearer ${token}` },
    })).json();
    const exam = exams.items.find((e) => e.enable_proctoring !== false) ?? exams.items[0];
    examId = exam.exam_id;
    const csrf = await candidatePage.locator('meta[name="csrf-token"]').getAttribute('content');
    const started = await candidatePage.request.post(`${server.url}/web-api/v1/exams/${examId}/sessions`, {
      headers: { 'X-CSRF-Token': csrf },
    });
    assert.equal(started.status(), 201, await started.text());
    sessionId = (await started.json()).session_id;
    await candidatePage.goto(`${server.url}/exam/${sessionId}`);
    await candidatePage.waitForFunction(() => /\d+:\d\d/.test(document.getElementById('exam-timer')?.textContent ?? ''));

    // The proctor opens the exam's live console (another browser context).
    proctorPage = await newPage(browser);
    await signIn(proctorPage, PROCTOR, /\/orgs\/demo-university$/);
    await proctorPage.goto(`${server.url}/orgs/${ORG}/exams/${examId}/live`);
    const row = proctorPage.locator(`tr[data-session="${sessionId}"]`);
    await row.waitFor();
    await proctorPage.waitForFunction(() => document.getElementById('live')?.dataset.live === 'open');
    // Marks this document: a reload would lose it.
    await proctorPage.evaluate(() => { window.noReload = true; });
    // The clock ticks.
    const clock1 = await row.locator('.live-clock').textContent();
    await proctorPage.waitForTimeout(1500);
    assert.notEqual(await row.locator('.live-clock').textContent(), clock1, 'the clock ticks');

    // The candidate switches tabs until the risk engine flags it.
    const flagged = proctorPage.locator('#live-status', { hasText: 'New flag' });
    for (let i = 0; i < 12 && !(await flagged.count()); i += 1) {
      await switchTab();
      await proctorPage.waitForTimeout(400);
    }
    await flagged.waitFor({ timeout: 15_000 });
    assert.match(await proctorPage.locator('#live-status').textContent(), /New flag for/);
    await proctorPage.waitForFunction(
      (sid) => Number(document.querySelector(`tr[data-session="${sid}"] td.live-flags`)?.dataset.sortValue) > 0,
      sessionId,
      { timeout: 10_000 },
    );
    assert.equal(await proctorPage.evaluate(() => window.noReload), true, 'the page was not reloaded');
    // Let the webcam frames arrive, so the thumbnail shows on the next refresh.
    await proctorPage.waitForTimeout(500);
    await expectAccessible(proctorPage, 'the live console');
    await screenshot(proctorPage, 'staff-live');

    // The proctor extends the time by 10 minutes, with a reason, confirmed.
    const before = await timerSeconds();
    proctorPage.once('dialog', (d) => d.accept());
    await row.locator('summary').click();
    await row.getByLabel('Action').selectOption('EXTEND_TIME');
    await row.getByLabel('Minutes').fill('10');
    await row.getByLabel('Reason').fill('Network trouble at the test centre');
    await expectAccessible(proctorPage, 'the live console with an action form open');
    await screenshot(proctorPage, 'staff-live-act');
    await row.getByRole('button', { name: 'Apply' }).click();
    await proctorPage.locator('#live-status', { hasText: 'Time extended' }).waitFor({ timeout: 5_000 });
    const clicked = Date.now();
    await candidatePage.waitForFunction(
      (b) => {
        const parts = (document.getElementById('exam-timer')?.textContent ?? '').trim().split(':').map(Number);
        return parts.reduce((acc, n) => acc * 60 + n, 0) > b + 500;
      },
      before,
      { timeout: 5_000 },
    );
    assert.ok(Date.now() - clicked <= 5_000, 'the candidate saw the extension within 5 s');
    assert.ok((await timerSeconds()) > before + 500);
    assert.equal(await proctorPage.evaluate(() => window.noReload), true, 'the page was not reloaded');
    assert.deepEqual(proctorPage.problems, [], 'CSP or script errors on the live console');
  });

  test('the reviewer opens the timeline, sees the events behind the flag and clears it', async () => {
    assert.ok(sessionId, 'the live test ran first');
    // More signals until the session's score reaches the threshold (FLAGGED).
    for (let i = 0; i < 30 && (await rosterRow()).integrity !== 'FLAGGED'; i += 1) {
      await switchTab();
      await candidatePage.keyboard.press('PrintScreen');
      await candidatePage.waitForTimeout(500);
    }
    assert.equal((await rosterRow()).integrity, 'FLAGGED');

    const page = proctorPage;
    await page.goto(`${server.url}/orgs/${ORG}/review`);
    await expectAccessible(page, 'the review queue');
    await screenshot(page, 'staff-review-queue');
    await page.getByRole('button', { name: /^Claim the session of/ }).first().click();
    await page.waitForURL(/\/review\/[0-9a-f-]+\?done=claimed$/, { waitUntil: 'commit' })
      .catch(async (e) => assert.fail(`${e}: at ${page.url()}: ${await page.locator('main').textContent()}`));
    await page.locator('h1').waitFor();
    assert.ok(page.url().includes(sessionId), page.url());

    // The flag, the rule that raised it and the events behind it.
    const flag = page.locator('article.flag-card', { hasText: 'TAB_SWITCH' }).first();
    await flag.waitFor();
    assert.match(await flag.textContent(), /tab_switch_burst|window_blur_burst/);
    const events = flag.locator('.flag-events li');
    assert.ok((await events.count()) >= 1, 'events behind the flag');
    assert.match(await events.first().textContent(), /TAB_SWITCH|WINDOW_BLUR/);
    await expectAccessible(page, 'the review of a session');
    await screenshot(page, 'staff-review');

    // Clear it, with notes; confirmed.
    page.once('dialog', (d) => d.accept());
    await page.getByRole('radio', { name: /Cleared/ }).check();
    await page.getByRole('textbox', { name: 'Notes' }).fill('A test-centre exercise: the tab switches were the proctor\'s request.');
    await page.getByRole('button', { name: 'Record the decision' }).click();
    await page.waitForURL(/\?done=decided$/, { waitUntil: 'commit' });
    await page.getByText('Decision recorded').waitFor();
    assert.equal((await rosterRow()).integrity, 'CLEARED');
    await expectAccessible(page, 'the review after the decision');
  });
});
