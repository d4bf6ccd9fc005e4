// Practice interviews in headless Chromium against a real `invigil demo`
// (issue 16 items 5 and 7): the demo author writes a scenario in the staff
// editor (a refused save shows its errors next to the fields first), adds a
// second question, publishes it; the demo candidate opens Practice from the
// header, runs the interview to the end, sees each answer's rubric score
// and feedback and the final evaluation, then Progress (account menu) shows
// the interview and the first-practice badge. axe-core on every page;
// screenshots practice-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, openAccountMenu, screenshot } from '../lib/browser.mjs';
import { acceptConfirmations, signIn } from '../lib/coord-flows.mjs';

const ORG = 'demo-university';
const AUTHOR = 'author@demo.example.org';
const CANDIDATE = 'candidate@demo.example.org';
const TITLE = `SQL basics interview ${Date.now() % 100000}`;

describe('practice', () => {
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

  test('the author writes, extends and publishes a scenario in the editor', async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    acceptConfirmations(page);
    await signIn(page, server, AUTHOR);
    await page.goto(`${server.url}/orgs/${ORG}`);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Practice' }).click();
    await page.getByRole('heading', { name: 'Practice scenarios', level: 1 }).waitFor();
    // The demo scenario is there, published.
    await page.locator('tr', { hasText: 'Demo: a junior developer interview' }).getByText('Published').waitFor();
    await screenshot(page, 'practice-staff-list');
    await expectAccessible(page, 'practice scenarios');

    await page.getByRole('link', { name: 'New scenario' }).click();
    await page.getByRole('heading', { name: 'New practice scenario', level: 1 }).waitFor();
    await expectAccessible(page, 'new scenario');
    // Refused: no title, and a question without a rubric point.
    await page.getByLabel('Topic').fill('Databases');
    await page.getByLabel('Question asked').fill('What is an index for?');
    await page.getByRole('button', { name: 'Save scenario' }).click();
    await page.locator('#form-errors').getByText('The scenario was not saved').waitFor();
    await page.locator('#title-error').waitFor();
    await page.locator('#form-errors').getByRole('link', { name: /Question 1, points/ }).waitFor();
    assert.equal(await page.getByLabel('Topic').inputValue(), 'Databases');
    await screenshot(page, 'practice-staff-refused');
    await expectAccessible(page, 'scenario refused');

    await page.getByLabel('Title').fill(TITLE);
    await page.getByLabel('Difficulty').selectOption('EASY');
    const q1 = page.getByRole('group', { name: /^Question 1/ });
    await q1.getByLabel('Maximum score').fill('10');
    await q1.getByLabel(/Model answer/).fill('An index speeds up reads; it costs writes and space.');
    await page.getByLabel('Question 1, point 1', { exact: true }).fill('Indexes speed up reads');
    await page.getByLabel('Question 1, keywords of point 1').fill('index*, read*|lookup*');
    await page.getByLabel('Question 1, point 2', { exact: true }).fill('Indexes cost writes');
    await page.getByLabel('Question 1, keywords of point 2').fill('write*');
    await page.getByRole('button', { name: 'Save scenario' }).click();
    await page.waitForURL(/\/practice\/[0-9a-f-]+\?saved=1$/);
    await page.getByText('The scenario is saved.').waitFor();

    // Saved, the editor has room for question 2: add it.
    const q2 = page.getByRole('group', { name: /^Question 2/ });
    await q2.getByLabel('Question asked').fill('What does a JOIN do?');
    await q2.getByLabel('Maximum score').fill('10');
    await page.getByLabel('Question 2, point 1', { exact: true }).fill('Combines rows of tables');
    await page.getByLabel('Question 2, keywords of point 1').fill('combin*|match*, table*|rows');
    await page.getByLabel('Published: learners can start it').check();
    await page.getByRole('button', { name: 'Save scenario' }).click();
    await page.getByText('The scenario is saved.').waitFor();
    assert.equal(await page.locator('#q1_p0_keywords').inputValue(), 'combin*|match*, table*|rows');
    await screenshot(page, 'practice-staff-editor');
    await expectAccessible(page, 'scenario editor');

    await page.getByRole('link', { name: 'Practice scenarios' }).click();
    const row = page.locator('tr', { hasText: TITLE });
    await row.getByText('Published').waitFor();
    assert.equal((await row.locator('td').nth(3).textContent()).trim(), '2');
    await page.context().close();
  });

  test('the candidate runs the interview, sees scores and feedback, then progress', async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    await signIn(page, server, CANDIDATE);
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Practice', exact: true }).click();
    await page.getByRole('heading', { name: 'Practice interviews', level: 1 }).waitFor();
    await expectAccessible(page, 'my practice');
    const card = page.locator('.practice-scenario', { hasText: TITLE });
    await card.getByRole('button', { name: 'Start the interview' }).click();
    await page.waitForURL(/\/me\/practice\/[0-9a-f-]+/);
    await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    await page.getByText('What is an index for?').waitFor();
    await screenshot(page, 'practice-session-start');
    await expectAccessible(page, 'practice session');

    // Question 1: both points covered.
    await page.getByLabel('Your answer to question 1').fill('An index makes reads fast, but every write must update it.');
    await page.getByRole('button', { name: 'Send the answer' }).click();
    await page.getByText('What does a JOIN do?').waitFor();
    const first = page.locator('.practice-feedback').first();
    await first.getByRole('heading', { name: /Feedback: 10/ }).waitFor();
    // Question 2: the point missed.
    await page.getByLabel('Your answer to question 2').fill('It sorts the results alphabetically.');
    await page.getByRole('button', { name: 'Send the answer' }).click();
    await page.getByRole('heading', { name: /Your evaluation: 50 %/ }).waitFor();
    const second = page.locator('.practice-feedback').nth(1);
    await second.getByRole('heading', { name: /Feedback: 0/ }).waitFor();
    await second.getByText(/Combines rows of tables/).waitFor();
    await page.getByText('Model answer').first().waitFor();
    await screenshot(page, 'practice-session-done');
    await expectAccessible(page, 'practice evaluation');

    // The API agrees (own session).
    const token = await server.token(CANDIDATE);
    const mine = await (await fetch(`${server.url}/api/v1/me/practice-sessions`, {
      headers: { Authorization: `Bearer ${token}` },
    })).json();
    const done = mine.items.find((s) => s.title === TITLE);
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.overall_score, 50);

    await openAccountMenu(page);
    await page.getByRole('link', { name: 'Progress', exact: true }).click();
    await page.waitForURL(/\/me\/progress$/);
    await page.getByRole('heading', { name: /progress/i, level: 1 }).waitFor();
    await page.getByText(/First practice/i).first().waitFor();
    await page.locator('td', { hasText: /1 practice interview/ }).first().waitFor();
    await screenshot(page, 'practice-progress');
    await expectAccessible(page, 'progress');
    await page.context().close();
  });
});
