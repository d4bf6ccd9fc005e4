// The exam page in headless Chromium against a real `invigil demo`: the demo
// candidate answers every question type by keyboard only, goes offline,
// keeps answering, reloads the page while offline (the service worker serves
// it from its cache), comes back online, and every answer is on the server
// at its last revision. Also: the timer shows the server's remaining time,
// a proctor's warning and pause reach the page, a second tab is detected,
// the review screen lists unanswered and flagged questions, a submit
// refused as busy (503) is sent again by the page, the high-
// contrast theme, axe-core on each view, and the end view after submit.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';
const PROCTOR = 'proctor@demo.example.org';

describe('exam page', () => {
  let server;
  let browser;

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function apiGet(path, token) {
    const r = await fetch(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `GET ${path}`);
    return r.json();
  }

  async function apiPost(path, token, body) {
    const r = await fetch(`${server.url}/api/v1${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, `POST ${path}: ${await r.clone().text()}`);
    return r.json();
  }

  /** Presses Tab (or Shift+Tab) until `locator` has the focus: keyboard only. */
  async function tabTo(page, locator, back = false) {
    for (let i = 0; i < 120; i += 1) {
      if (await locator.evaluate((n) => n === document.activeElement)) return;
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`could not reach ${locator} with the keyboard`);
  }

  /** Goes to question number `n` (1-based) with the palette, by keyboard. */
  async function goToQuestion(page, n) {
    await tabTo(page, page.locator('#exam-palette button').nth(n - 1), true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Question ${n} of`, exact: false }).waitFor();
    assert.match(await page.evaluate(() => document.activeElement.id), /^qh-/);
  }

  /** Tab to the next control; waits until it has the focus. */
  async function tabInto(page, selector) {
    await page.keyboard.press('Tab');
    await page.waitForFunction((sel) => document.activeElement?.matches(sel), selector, { timeout: 5000 })
      .catch(async () => {
        const at = await page.evaluate(() => document.activeElement?.outerHTML);
        throw new Error(`Tab did not reach ${selector}; focus is on ${at}`);
      });
  }

  /**
   * A radio group by keyboard: Tab into it, Space checks the focused radio,
   * an arrow key moves the choice; returns the value finally checked.
   */
  async function chooseByKeyboard(page, qid) {
    await tabInto(page, `input[name="a-${qid}"]`);
    await page.keyboard.press('Space');
    await page.locator(`input[name="a-${qid}"]:checked`).waitFor();
    const first = await page.locator(`input[name="a-${qid}"]:checked`).getAttribute('value');
    await page.keyboard.press('ArrowDown');
    await page.locator(`input[name="a-${qid}"]:checked:not([value="${first}"])`).waitFor();
    return page.locator(`input[name="a-${qid}"]:checked`).getAttribute('value');
  }

  function timerSeconds(text) {
    const parts = text.trim().split(':').map(Number);
    return parts.reduce((acc, p) => acc * 60 + p, 0);
  }

  async function saveState(page) {
    return (await page.locator('#exam-save').innerText()).trim();
  }

  test('a candidate answers every type by keyboard, offline and through a reload, and submits', async () => {
    const page = await newPage(browser);
    const context = page.context();

    // Sign in as the demo candidate.
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email address').fill(CANDIDATE);
    await page.getByLabel('Password').fill(server.accounts.get(CANDIDATE));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/me\/exams$/);

    // The demo exam's id through the API, as the candidate; the session is
    // started by the page's own JSON endpoint with the page's CSRF token.
    const token = await server.token(CANDIDATE);
    const exams = await apiGet('/me/exams', token);
    const demo = (exams.items || exams).find((e) => /Demo/.test(e.title));
    assert.ok(demo, `the demo exam in ${JSON.stringify(exams)}`);
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const started = await page.request.post(`${server.url}/web-api/v1/exams/${demo.exam_id}/sessions`, {
      headers: { 'X-CSRF-Token': csrf },
    });
    assert.ok([200, 201].includes(started.status()), `start: ${started.status()}`);
    const session = await started.json();
    const sid = session.session_id;
    const questions = [...session.questions].sort((a, b) => a.position - b.position);
    const numberOf = (type) => questions.findIndex((q) => q.type === type) + 1;
    const idOf = (type) => questions.find((q) => q.type === type).id;
    const types = ['single_choice', 'multiple_select', 'true_false', 'short_answer', 'numeric', 'fill_blank', 'essay'];
    for (const t of types) assert.ok(numberOf(t) > 0, `a ${t} question in the demo exam`);

    await page.goto(`${server.url}/exam/${sid}`);
    await page.getByRole('heading', { name: /Question 1 of/ }).waitFor();
    await page.locator('#exam-save', { hasText: 'Saved' }).waitFor();
    // The service worker controls the page and holds its copy.
    await page.locator('#exam-root[data-offline="ready"]').waitFor({ timeout: 20_000 });

    // The timer shows the server's remaining time (within 5 s).
    const server1 = await apiGet(`/sessions/${sid}`, token);
    const shown = timerSeconds(await page.locator('#exam-timer').innerText());
    assert.ok(Math.abs(shown - server1.remaining_seconds) <= 5, `timer ${shown} s, server ${server1.remaining_seconds} s`);

    await screenshot(page, 'exam-question');
    await expectAccessible(page, 'exam page');

    // ---- every type, keyboard only
    const expected = {};
    // single choice: Tab into the group, Space, then an arrow moves the choice.
    const sc = idOf('single_choice');
    await goToQuestion(page, numberOf('single_choice'));
    expected[sc] = { option: Number(await chooseByKeyboard(page, sc)) };
    // multiple select: the first and the second option.
    await goToQuestion(page, numberOf('multiple_select'));
    const ms = idOf('multiple_select');
    await tabInto(page, `#a-${ms}-0`);
    await page.keyboard.press('Space');
    await page.locator(`#a-${ms}-0:checked`).waitFor();
    await tabInto(page, `#a-${ms}-1`);
    await page.keyboard.press('Space');
    await page.locator(`#a-${ms}-1:checked`).waitFor();
    expected[idOf('multiple_select')] = { options: [0, 1] };
    // true/false: the same keys.
    const tf = idOf('true_false');
    await goToQuestion(page, numberOf('true_false'));
    expected[tf] = { value: (await chooseByKeyboard(page, tf)) === 'true' };
    // short answer
    await goToQuestion(page, numberOf('short_answer'));
    await tabInto(page, `#a-${idOf('short_answer')}`);
    await page.keyboard.type('Paris');
    expected[idOf('short_answer')] = { text: 'Paris' };
    // numeric
    await goToQuestion(page, numberOf('numeric'));
    await tabInto(page, `#a-${idOf('numeric')}`);
    await page.keyboard.type('42');
    expected[idOf('numeric')] = { value: 42 };
    // fill in the blanks: every blank.
    const fb = questions.find((q) => q.type === 'fill_blank');
    await goToQuestion(page, numberOf('fill_blank'));
    const blanks = [];
    for (let b = 0; b < (fb.blanks || 1); b += 1) {
      await tabInto(page, `#a-${fb.id}-${b}`);
      await page.keyboard.type(`word${b + 1}`);
      blanks.push(`word${b + 1}`);
    }
    expected[fb.id] = { blanks };
    // essay, then flag it for review (Tab to the flag button, Enter).
    await goToQuestion(page, numberOf('essay'));
    await tabInto(page, `#a-${idOf('essay')}`);
    await page.keyboard.type('Answers are saved on this device first.');
    expected[idOf('essay')] = { text: 'Answers are saved on this device first.' };
    const essay = page.locator(`#q-${idOf('essay')}`);
    await tabTo(page, essay.getByRole('button', { name: 'Flag for review' }));
    await page.keyboard.press('Enter');
    await essay.getByRole('button', { name: 'Flagged for review' }).waitFor();
    await page.locator('#exam-save', { hasText: 'Saved' }).waitFor();

    // The palette tells answered from not answered and flagged.
    const label = await page.locator('#exam-palette button').nth(numberOf('essay') - 1).getAttribute('aria-label');
    assert.equal(label, `Question ${numberOf('essay')}: answered, flagged for review`);

    // ---- offline: keep answering
    await context.setOffline(true);
    await goToQuestion(page, numberOf('short_answer'));
    await tabInto(page, `#a-${idOf('short_answer')}`);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Lyon');
    expected[idOf('short_answer')] = { text: 'Lyon' };
    await goToQuestion(page, numberOf('numeric'));
    await tabInto(page, `#a-${idOf('numeric')}`);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('43.5');
    expected[idOf('numeric')] = { value: 43.5 };
    await page.locator('#exam-save', { hasText: 'Offline — answers kept on this device' }).waitFor();

    // ---- reload while offline: the page comes from the service worker's cache
    const reloaded = await page.reload();
    assert.ok(reloaded.fromServiceWorker(), 'the reloaded page came through the service worker');
    assert.equal(reloaded.headers()['x-invigil-cached'], '1', 'the reloaded page is the cached copy');
    await page.getByRole('heading', { name: /Question 1 of/ }).waitFor();
    await page.locator('#exam-save', { hasText: 'Offline — answers kept on this device' }).waitFor();
    // The journal's answers are shown, newer than the server's.
    await goToQuestion(page, numberOf('short_answer'));
    assert.equal(await page.locator(`#a-${idOf('short_answer')}`).inputValue(), 'Lyon');
    assert.equal(await page.locator(`#a-${idOf('numeric')}`).inputValue(), '43.5');
    // Still answering after the reload.
    await goToQuestion(page, numberOf('essay'));
    await tabInto(page, `#a-${idOf('essay')}`);
    await page.keyboard.press('End');
    await page.keyboard.type(' Even offline.');
    expected[idOf('essay')] = { text: 'Answers are saved on this device first. Even offline.' };
    // The server has none of the offline answers yet.
    const during = await apiGet(`/sessions/${sid}`, token);
    assert.equal(during.answers[idOf('short_answer')].response.text, 'Paris');

    // ---- back online: the journal is replayed
    await context.setOffline(false);
    await page.locator('#exam-save', { hasText: /^Saved$/ }).waitFor({ timeout: 20_000 });
    const journal = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), `invigil.exam.${sid}`);
    assert.deepEqual(journal.pending, {}, 'the journal is empty');
    const onServer = await apiGet(`/sessions/${sid}`, token);
    for (const t of types) {
      const id = idOf(t);
      const a = onServer.answers[id];
      assert.ok(a, `${t} on the server`);
      assert.deepEqual(a.response, expected[id], `${t}: the last answer`);
      assert.equal(a.revision, journal.answers[id].revision, `${t}: the last revision`);
    }

    // ---- a proctor's warning reaches the page within seconds
    const proctor = await server.token(PROCTOR);
    await apiPost(`/orgs/demo-university/sessions/${sid}/actions`, proctor, { type: 'WARN', reason: 'Please keep your face in view.' });
    await page.getByText('Message from the proctor: Please keep your face in view.').waitFor({ timeout: 12_000 });
    // ... and a pause shows the overlay, a resume removes it.
    await apiPost(`/orgs/demo-university/sessions/${sid}/actions`, proctor, { type: 'PAUSE', reason: 'Checking the room.' });
    await page.getByRole('alertdialog', { name: 'Your exam is paused by the proctor' }).waitFor({ timeout: 12_000 });
    assert.equal(await page.locator('#exam-timer').innerText(), 'Paused');
    await apiPost(`/orgs/demo-university/sessions/${sid}/actions`, proctor, { type: 'RESUME', reason: 'Done.' });
    await page.locator('#exam-paused').waitFor({ state: 'hidden', timeout: 12_000 });

    // ---- two tabs on the same session: the older one is told and disabled
    const second = await context.newPage();
    await second.goto(`${server.url}/exam/${sid}`);
    await second.getByText('This exam is also open in another tab or window.').waitFor();
    await page.getByText('This exam is open in another tab or window. Continue there and close this tab.').waitFor();
    assert.ok(await page.locator(`#a-${idOf('essay')}`).isDisabled(), 'inputs of the older tab are disabled');
    await second.close();
    await page.getByRole('button', { name: 'Use this tab instead' }).click();
    await page.getByRole('heading', { name: /Question 1 of/ }).waitFor();
    await page.locator('#exam-save', { hasText: 'Saved' }).waitFor();
    assert.equal(await page.locator('[data-banner="tabs"]').count(), 0, 'the closed tab is gone');

    // ---- all questions on one page (remembered), and back
    await tabTo(page, page.getByRole('button', { name: 'Show all questions on one page' }), true);
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('.exam-question:visible').count(), questions.length);
    await page.reload();
    await page.getByRole('heading', { name: /Question 22 of/ }).waitFor();
    assert.equal(await page.locator('.exam-question:visible').count(), questions.length);
    await page.getByRole('button', { name: 'Show all questions on one page' }).press('Enter');
    assert.equal(await page.locator('.exam-question:visible').count(), 1);

    // ---- high contrast and larger text (remembered)
    await tabTo(page, page.getByRole('button', { name: 'High contrast' }));
    await page.keyboard.press('Enter');
    assert.equal(await page.getByRole('button', { name: 'High contrast' }).getAttribute('aria-pressed'), 'true');
    await screenshot(page, 'exam-high-contrast');
    await expectAccessible(page, 'exam page, high contrast');
    await page.getByRole('button', { name: 'High contrast' }).press('Enter');
    // 200 % text: nothing needs scrolling sideways.
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px at 200 % text`);
    const overlaps = await page.evaluate(() => {
      const boxes = ['.exam-palette', '.exam-question:not([hidden])', '.exam-side']
        .map((sel) => document.querySelector(sel)?.getBoundingClientRect()).filter(Boolean);
      const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      return boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => hit(a, b))).length;
    });
    assert.equal(overlaps, 0, 'palette, question and camera panel do not overlap at 200 % text');
    await screenshot(page, 'exam-200-percent');
    await page.evaluate(() => { document.documentElement.style.fontSize = ''; });

    // ---- the review screen lists not answered and flagged questions
    await tabTo(page, page.getByRole('button', { name: 'Review and submit' }).first(), true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Review your answers' }).waitFor();
    const total = questions.length;
    await page.getByText(`You answered ${types.length} of ${total} questions.`).waitFor();
    await page.getByRole('heading', { name: `Not answered (${total - types.length})` }).waitFor();
    await page.getByRole('heading', { name: 'Flagged for review (1)' }).waitFor();
    const review = page.locator('#exam-review');
    assert.equal(await review.getByRole('button', { name: `Go to question ${numberOf('essay')}`, exact: true }).count(), 1);
    await screenshot(page, 'exam-review');
    await expectAccessible(page, 'review screen');

    // ---- submit (keyboard) to a busy server: its first answer is 503 with
    // Retry-After (as when many submit at once); the page says so and
    // sends the submit again by itself. Then the end view.
    const submitUrl = '**/sessions/*/submit';
    let submits = 0;
    // The second send waits until the busy view has been checked.
    let checked;
    const busyChecked = new Promise((ok) => { checked = ok; });
    await page.route(submitUrl, async (route) => {
      submits += 1;
      if (submits > 1) {
        await busyChecked;
        return route.continue();
      }
      return route.fulfill({
        status: 503,
        headers: { 'Retry-After': '2', 'Content-Type': 'application/problem+json' },
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'overloaded', detail: 'The server is busy; retry after 2 s.' }),
      });
    });
    await tabTo(page, page.getByRole('button', { name: 'Submit my answers' }));
    await page.keyboard.press('Enter');
    const busy = page.getByRole('status').filter({ hasText: 'Many candidates are submitting at this moment' });
    await busy.waitFor();
    assert.match(await busy.textContent(), /will be sent again in about [23] seconds; stay on this page/);
    await screenshot(page, 'exam-submit-busy');
    await expectAccessible(page, 'review screen while the server is busy');
    checked();
    await page.getByText(/Your answers were submitted/).waitFor();
    assert.equal(submits, 2, 'the page sent the submit again after the 503');
    await page.unroute(submitUrl);
    await screenshot(page, 'exam-end');
    await expectAccessible(page, 'end view');
    const done = await apiGet(`/sessions/${sid}`, token);
    assert.equal(done.status, 'SUBMITTED');
    // Reloading shows the server's end view.
    await page.reload();
    await page.getByText(/Your answers were submitted at/).waitFor();
    await page.getByRole('link', { name: 'Go to My exams' }).waitFor();
    await context.close();
  });

  test('the timer warns at 10 and 1 minutes and ends the exam at 0', async () => {
    const page = await newPage(browser);
    // The page's clock, fast-forwarded below; the server keeps real time.
    await page.clock.install();
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email address').fill(CANDIDATE);
    await page.getByLabel('Password').fill(server.accounts.get(CANDIDATE));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/me\/exams$/);
    const token = await server.token(CANDIDATE);
    const demo = (await apiGet('/me/exams', token)).items.find((e) => /Demo/.test(e.title));
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const started = await page.request.post(`${server.url}/web-api/v1/exams/${demo.exam_id}/sessions`, {
      headers: { 'X-CSRF-Token': csrf },
    });
    assert.equal(started.status(), 201, 'a second attempt');
    const session = await started.json();
    const sid = session.session_id;
    const short = session.questions.find((q) => q.type === 'short_answer');
    await page.goto(`${server.url}/exam/${sid}`);
    await page.locator('#exam-save', { hasText: 'Saved' }).waitFor();
    const ordered = [...session.questions].sort((a, b) => a.position - b.position);
    await goToQuestion(page, ordered.findIndex((q) => q.id === short.id) + 1);
    await tabInto(page, `#a-${short.id}`);
    await page.keyboard.type('Before the end');
    await page.locator('#exam-save', { hasText: /^Saved$/ }).waitFor({ timeout: 10_000 });

    await page.locator('#exam-root[data-offline]').waitFor({ timeout: 20_000 });
    // Every poll resyncs the page's clock to the server's; cut the session
    // document off so the fast-forwarded page clock stands.
    await page.context().route(`**/web-api/v1/sessions/${sid}`, (route) => (
      route.request().method() === 'GET' ? route.abort('internetdisconnected') : route.fallback()));
    const left = (await apiGet(`/sessions/${sid}`, token)).remaining_seconds;
    await page.clock.fastForward((left - 595) * 1000);
    await page.getByText('10 minutes left.').waitFor();
    // ... told to screen readers too (the assertive live region).
    await page.waitForFunction(() => document.getElementById('exam-announce').textContent === '10 minutes left.');
    await page.clock.fastForward(540 * 1000);
    await page.getByText(/^1 minute left/).waitFor();
    await page.clock.fastForward(60 * 1000);
    await page.getByText(/Time is up. Your answers were submitted automatically/).waitFor();
    await expectAccessible(page, 'end view after the time ran out');
    const done = await apiGet(`/sessions/${sid}`, token);
    assert.ok(['SUBMITTED', 'AUTO_SUBMITTED'].includes(done.status), done.status);
    assert.equal(done.answers[short.id].response.text, 'Before the end');
    await page.context().close();
  });
});
