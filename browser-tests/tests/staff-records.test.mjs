// Browser test: student records. QA (a report viewer) opens Student
// records, sees the demo candidate with a composite, changes the weights
// and opens the candidate's record; the enrollment manager records a result
// obtained outside Invigil by the form (a mistake first), deletes it, and
// imports a small CSV with the good lines only.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';
import { ORG, acceptConfirmations, signIn } from '../lib/coord-flows.mjs';

const QA = 'qa@demo.example.org';
const ENROLLMENT = 'enrollment@demo.example.org';
const CANDIDATE = 'candidate@demo.example.org';
const CANDIDATE_NAME = 'Cam Candidate';

describe('student records: the cohort, the weights, a record, results entered and imported', () => {
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

  test('QA reads the cohort, changes the weights and opens a record', async () => {
    const page = await newPage(browser);
    await signIn(page, server, QA);
    await page.goto(`${server.url}/orgs/${ORG}`);
    await page.getByRole('link', { name: 'Student records' }).click();
    await page.getByRole('heading', { name: 'Student records', level: 1 }).waitFor();
    const row = page.locator('table.records-table tbody tr', { hasText: CANDIDATE });
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /\d+\.\d %/, `a composite for the demo candidate: ${text}`);
    assert.match(text, /incomplete/, 'SHELF has no result yet');
    assert.ok(await page.getByRole('link', { name: 'JSON' }).isVisible());
    await screenshot(page, 'staff-records');
    await expectAccessible(page, 'staff student records');

    // SHELF weighs nothing for this report: the composite is complete.
    await page.getByLabel(/^SHELF/).fill('0');
    await page.getByRole('button', { name: 'Apply weights' }).click();
    await page.waitForURL(/w_SHELF=0/);
    await page.getByText('weights overridden').waitFor();
    const after = await page.locator('table.records-table tbody tr', { hasText: CANDIDATE }).innerText();
    assert.doesNotMatch(after, /incomplete/, after);
    assert.equal(await page.getByLabel(/^SHELF/).inputValue(), '0');
    await screenshot(page, 'staff-records-weights');
    await expectAccessible(page, 'staff student records with weights');

    await page.getByRole('link', { name: CANDIDATE_NAME }).click();
    await page.getByRole('heading', { name: CANDIDATE_NAME, level: 1 }).waitFor();
    const main = await page.locator('main').innerText();
    assert.match(main, /Composite: \d+\.\d %/, main);
    assert.match(main, /from QUIZ and STEP1/, main);
    assert.match(main, /238 \/ 300/, main);
    assert.match(main, /NBME score report/, main);
    assert.doesNotMatch(main, /Record a result/, 'QA does not record results');
    await screenshot(page, 'staff-records-candidate');
    await expectAccessible(page, 'staff candidate record');
    await page.close();
  });

  test('the enrollment manager records a result by the form and deletes it', async () => {
    const page = await newPage(browser);
    acceptConfirmations(page);
    await signIn(page, server, ENROLLMENT);
    await page.goto(`${server.url}/orgs/${ORG}/records`);
    await page.getByRole('heading', { name: 'Student records', level: 1 }).waitFor();
    const table = await page.locator('table.records-table').innerText();
    assert.match(table, /candidate@demo\.example\.org/);
    assert.doesNotMatch(table, /Composite/, 'no scores for an enrollment manager');
    await screenshot(page, 'staff-records-roster');
    await expectAccessible(page, 'staff student records (enrollment manager)');

    await page.getByRole('link', { name: CANDIDATE_NAME }).click();
    await page.getByRole('heading', { name: 'Record a result obtained outside Invigil' }).waitFor();
    // A mistake first: a score without its scale.
    await page.getByLabel('Exam type').selectOption({ label: 'SHELF — NBME clinical science (shelf) exam' });
    await page.getByLabel('Score', { exact: true }).fill('72');
    await page.getByLabel('Taken on').fill('2026-09-15');
    await page.getByLabel('Source').fill('NBME shelf score report');
    await page.getByRole('button', { name: 'Record the result' }).click();
    await page.locator('#max_score-error').waitFor();
    assert.equal(await page.getByLabel('Score', { exact: true }).inputValue(), '72');
    await screenshot(page, 'staff-records-add-error');
    await expectAccessible(page, 'staff record form with an error');

    await page.getByLabel('Out of (max score)').fill('100');
    await page.getByLabel('Passed', { exact: true }).selectOption('yes');
    await page.getByRole('button', { name: 'Record the result' }).click();
    await page.waitForURL(/done=added/);
    await page.getByText('The result was recorded.').waitFor();
    const main = await page.locator('main').innerText();
    assert.match(main, /72 \/ 100/, main);
    await screenshot(page, 'staff-records-added');
    await expectAccessible(page, 'staff record after adding');

    await page.getByRole('button', { name: /Delete the SHELF result/ }).click();
    await page.waitForURL((u) => !u.search.includes('done=added'));
    await page.getByRole('heading', { name: CANDIDATE_NAME, level: 1 }).waitFor();
    assert.doesNotMatch(await page.locator('main').innerText(), /72 \/ 100/);
    await page.close();
  });

  test('the enrollment manager imports a CSV: the good lines, the bad one shown', async () => {
    const page = await newPage(browser);
    await signIn(page, server, ENROLLMENT);
    await page.goto(`${server.url}/orgs/${ORG}/records`);
    await page.getByRole('link', { name: 'Import external results' }).click();
    await page.getByRole('heading', { name: 'Import external results', level: 1 }).waitFor();
    await expectAccessible(page, 'staff records import');
    const csv = [
      'email,exam_type_code,score,max_score,passed,taken_on,source,notes',
      `${CANDIDATE},SHELF,81,100,true,2026-10-01,NBME shelf score report,`,
      `${CANDIDATE},NOPE,200,300,,2026-10-01,Somewhere,`,
    ].join('\n');
    await page.getByLabel(/^CSV file/).setInputFiles({ name: 'results.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByLabel(/^Import the good lines/).check();
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByText('1 result(s) created, 0 updated').waitFor();
    const report = await page.locator('.line-report').innerText();
    assert.match(report, /3/);
    assert.match(report, /NOPE/);
    await screenshot(page, 'staff-records-import');
    await expectAccessible(page, 'staff records import result');
    await page.close();
  });
});
