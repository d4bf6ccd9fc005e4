// The candidate's pages in headless Chromium against a real `invigil demo`:
// my exams, the pre-exam check (camera preview from the fake camera, consent
// required, start lands on the exam page), my results and a result's detail
// (points per question, grader comment, flag and decision), and an appeal.
// axe-core on each page; screenshots into test-output/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible as accessible, launch, newPage, screenshot, seriousViolations } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';

describe('candidate pages', () => {
  let server;
  let browser;
  let page;

  before(async () => {
    server = await startDemo();
    browser = await launch();
    page = await newPage(browser);
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email address').fill(CANDIDATE);
    await page.getByLabel('Password').fill(server.accounts.get(CANDIDATE));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/me\/exams$/);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const expectAccessible = (name) => accessible(page, name);

  test('my exams: the open exam to start, the finished one with its result', async () => {
    await page.goto(`${server.url}/me/exams`);
    const open = page.locator('li.exam', { hasText: 'Demo exam: general knowledge' });
    await open.getByRole('link', { name: 'Start' }).waitFor();
    assert.match(await open.innerText(), /30 minutes/);
    assert.match(await open.innerText(), /3 of 3/);
    const done = page.locator('li.exam', { hasText: 'Demo quiz: finished practice round' });
    assert.match(await done.innerText(), /Completed, results released/);
    await done.getByRole('link', { name: 'See result' }).waitFor();
    assert.equal(await done.getByRole('link', { name: 'Start' }).count(), 0);
    await screenshot(page, 'my-exams');
    await expectAccessible('my exams');
  });

  test('pre-exam check: rules, consent, camera preview, start', async () => {
    await page.goto(`${server.url}/me/exams`);
    await page
      .locator('li.exam', { hasText: 'Demo exam: general knowledge' })
      .getByRole('link', { name: 'Start' })
      .click();
    await page.waitForURL(/\/me\/exams\/[0-9a-f-]+\/check$/);
    await page.getByRole('heading', { name: /Before you start/ }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /every 30 seconds/);
    assert.match(text, /kept for 30 days/);
    assert.match(text, /never an automatic penalty/);
    assert.match(text, /second camera/);
    // The page is a secure context on loopback: no warning box.
    assert.equal(await page.locator('#insecure').isVisible(), false);

    // The fake camera: permission (already granted by the flags, then the
    // page turns the camera on by itself; else by the button), a live preview.
    await page.waitForFunction(() => {
      const b = document.querySelector('#camera-start');
      const s = document.querySelector('#camera-status');
      return s.dataset.state === 'ok' || (b && !b.disabled && !b.hidden);
    });
    if ((await page.locator('#camera-status').getAttribute('data-state')) !== 'ok') {
      await page.getByRole('button', { name: 'Turn on the camera' }).click();
    }
    await page.getByText('The camera works.').waitFor();
    await page.waitForFunction(() => {
      const v = document.querySelector('#preview');
      return v && v.videoWidth > 0 && !v.paused;
    });
    await screenshot(page, 'precheck');
    await expectAccessible('pre-check');

    // Start without consent: the field error, by keyboard.
    await page.getByRole('button', { name: 'Start the exam' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#consent-error').waitFor();
    assert.equal(await page.getByLabel(/agree to proctoring/).getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'precheck-consent-error');
    await expectAccessible('pre-check with an error');

    await page.getByLabel(/agree to proctoring/).focus();
    await page.keyboard.press('Space');
    assert.equal(await page.getByLabel(/agree to proctoring/).isChecked(), true);
    await page.getByRole('button', { name: 'Start the exam' }).click();
    await page.waitForURL(/\/exam\/[0-9a-f-]{36}$/);
    const session = new URL(page.url()).pathname.split('/').pop();

    // Back on my exams the exam is in progress: Resume leads to the same session.
    await page.goto(`${server.url}/me/exams`);
    const open = page.locator('li.exam', { hasText: 'Demo exam: general knowledge' });
    await open.getByRole('link', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Resume the exam' }).waitFor();
    await page.getByLabel(/agree to proctoring/).check();
    await page.getByRole('button', { name: 'Resume the exam' }).click();
    await page.waitForURL(new RegExp(`/exam/${session}$`));
  });

  test('pre-exam check on a page that is not a secure context explains why', async () => {
    // As if opened over plain http from another machine: the page cannot
    // use a camera and says how an operator fixes it.
    const insecure = await page.context().newPage();
    insecure.problems = [];
    await insecure.addInitScript(() => {
      Object.defineProperty(window, 'isSecureContext', { value: false });
    });
    await page.goto(`${server.url}/me/exams`);
    const href = await page
      .locator('li.exam', { hasText: 'Demo exam: general knowledge' })
      .getByRole('link', { name: /Start|Resume/ })
      .getAttribute('href');
    await insecure.goto(`${server.url}${href}`);
    const box = insecure.locator('#insecure');
    await box.waitFor({ state: 'visible' });
    assert.match(await box.innerText(), /https/);
    assert.match(await box.innerText(), /public_url/);
    assert.equal(await insecure.getByRole('button', { name: 'Turn on the camera' }).isDisabled(), true);
    await screenshot(insecure, 'precheck-insecure');
    const violations = await seriousViolations(insecure);
    assert.deepEqual(violations, [], 'axe on the insecure pre-check');
    await insecure.close();
  });

  test('results: the list, the detail, and an appeal', async () => {
    page.problems = [];
    await page.goto(`${server.url}/me/results`);
    await page.getByRole('heading', { name: 'My results' }).waitFor();
    const row = page.locator('li.result', { hasText: 'Demo quiz: finished practice round' });
    assert.match(await row.innerText(), /of \d+ points/);
    assert.match(await row.innerText(), /Passed/);
    assert.match(await row.innerText(), /Reviewed and cleared/);
    await screenshot(page, 'results');
    await expectAccessible('results');

    await row.getByRole('link', { name: 'Details' }).click();
    await page.waitForURL(/\/me\/results\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Points per question' }).waitFor();
    const main = await page.locator('main').innerText();
    assert.match(main, /Question 4/);
    assert.match(main, /Grader's comment/);
    assert.match(main, /Switching away from the exam tab or window/);
    assert.match(main, /Cleared: no violation/);
    await screenshot(page, 'result-detail');
    await expectAccessible('result detail');

    // An empty appeal: the field error; then a real one.
    await page.getByRole('button', { name: 'Send the appeal' }).click();
    await page.locator('#text-error').waitFor();
    await expectAccessible('result detail with an error');
    await page.getByLabel('Why do you appeal?').fill('I switched tabs by accident when my mouse slipped.');
    await page.getByRole('button', { name: 'Send the appeal' }).click();
    await page.waitForURL(/\?appealed=1$/);
    await page.getByRole('status').filter({ hasText: 'Your appeal was sent' }).waitFor();
    const after = await page.locator('main').innerText();
    assert.match(after, /I switched tabs by accident/);
    assert.equal(await page.getByRole('button', { name: 'Send the appeal' }).count(), 0);
    await screenshot(page, 'result-appealed');
    await expectAccessible('result after the appeal');
  });
});
