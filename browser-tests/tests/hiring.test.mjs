// Hiring in headless Chromium against a real `invigil demo` (issue 16 item
// 6): the demo candidate browses /jobs, opens the demo company's posting,
// applies with consent, takes the short assessment through the exam pages,
// sees the application ASSESSED in /me/applications; the demo recruiter
// sees the applicant with the result under Hiring and shortlists them.
// axe-core on the jobs board, the posting, my applications, the hiring
// console, its posting page and the applicant page; screenshots hiring-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, openAccountMenu, screenshot } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';
const RECRUITER = 'recruiter@acme-hiring.example.org';
const JOB = 'Backend engineer (Rust)';

async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('hiring', () => {
  let server;
  let browser;
  let token;
  let page;

  before(async () => {
    server = await startDemo();
    browser = await launch();
    token = await server.token(CANDIDATE);
    page = await newPage(browser);
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
  });

  async function apiGet(path) {
    const r = await fetch(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `GET ${path}: ${await r.clone().text()}`);
    return r.json();
  }

  test('the public board lists the demo job without signing in', async () => {
    await page.goto(`${server.url}/jobs`);
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
    await page.locator('.job-card', { hasText: JOB }).getByText('Acme Hiring').waitFor();
    await page.getByLabel('Search by title, skill or place').fill('cobol');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/No open job matches/).waitFor();
    await page.getByLabel('Search by title, skill or place').fill('rust');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: JOB }).click();
    await page.getByRole('heading', { name: JOB, level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Sign in to apply' }).waitFor();
    await expectAccessible(page, 'job signed out');
  });

  test('the candidate applies with consent and takes the assessment', async () => {
    await signIn(page, server, CANDIDATE);
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
    await screenshot(page, 'hiring-board');
    await expectAccessible(page, 'jobs board');
    await page.getByRole('link', { name: JOB }).click();
    await page.getByRole('heading', { name: 'Requirements' }).waitFor();
    await page.getByText('Comfortable with SQL').waitFor();
    await screenshot(page, 'hiring-posting');
    await expectAccessible(page, 'job posting');
    // Without consent: refused with the reason, nothing applied.
    await page.getByRole('button', { name: 'Apply and take the assessment' }).click();
    await page.locator('#consent-error').waitFor();
    await expectAccessible(page, 'apply refused');
    await page.getByLabel('Cover note').fill('I like Rust and exams.');
    await page.getByLabel(/I agree that Acme Hiring sees/).check();
    await page.getByRole('button', { name: 'Apply and take the assessment' }).click();
    await page.waitForURL(/\/me\/applications$/);
    const card = page.locator('.application', { hasText: JOB });
    await card.getByText('Applied: take the assessment').waitFor();
    await screenshot(page, 'hiring-applications');
    await expectAccessible(page, 'my applications');
    // The account menu leads here too.
    await openAccountMenu(page);
    await page.getByRole('link', { name: 'Job applications' }).click();
    await page.waitForURL(/\/me\/applications$/);

    await card.getByRole('link', { name: 'Take the assessment' }).click();
    await page.waitForURL(/\/me\/exams\/[0-9a-f-]+\/check$/);
    await page.getByRole('button', { name: 'Start the exam' }).click();
    await page.waitForURL(/\/exam\/[0-9a-f-]+$/);
    const sid = page.url().split('/exam/')[1];
    const session = await apiGet(`/sessions/${sid}`);
    const byType = (t) => session.questions.find((q) => q.type === t).id;
    await page.getByRole('heading', { name: /Question 1 of 3/ }).waitFor();
    await page.getByRole('button', { name: 'Show all questions on one page' }).click();
    await page.locator(`#a-${byType('single_choice')}-0`).check();
    await page.locator(`input[name="a-${byType('true_false')}"][value="true"]`).check();
    await page.locator(`#a-${byType('numeric')}`).fill('404');
    await page.locator('#exam-save', { hasText: 'Saved' }).waitFor();
    await page.getByRole('button', { name: 'Review and submit' }).first().click();
    await page.getByRole('heading', { name: 'Review your answers' }).waitFor();
    await page.getByRole('button', { name: 'Submit my answers' }).click();
    await page.getByText(/Your answers were submitted/).waitFor();

    await page.goto(`${server.url}/me/applications`);
    await page.locator('.application', { hasText: JOB }).getByText('Assessed').waitFor();
    const mine = await apiGet('/me/applications');
    assert.equal(mine.items[0].status, 'ASSESSED');
  });

  test('the recruiter sees the applicant with the result and shortlists', async () => {
    await page.context().clearCookies();
    await signIn(page, server, RECRUITER);
    await page.goto(`${server.url}/orgs/acme-hiring`);
    await page.getByRole('link', { name: 'Hiring', exact: true }).click();
    await page.getByRole('heading', { name: 'Hiring', level: 1 }).waitFor();
    await screenshot(page, 'hiring-console');
    await expectAccessible(page, 'hiring console');
    await page.getByRole('link', { name: JOB }).click();
    await page.getByRole('heading', { name: 'Applicants' }).waitFor();
    const row = page.locator('tr', { hasText: CANDIDATE });
    await row.getByText('Passed').waitFor();
    await row.getByText('100%').waitFor();
    await screenshot(page, 'hiring-applicants');
    await expectAccessible(page, 'posting with applicants');
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Assessment result' }).waitFor();
    await page.getByText('I like Rust and exams.').waitFor();
    await page.getByLabel('Status').selectOption('SHORTLISTED');
    await page.getByRole('textbox', { name: /^Notes/ }).fill('Strong answers.');
    await page.getByLabel('Interested in this candidate').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.page-head', { hasText: 'Shortlisted' }).waitFor();
    await screenshot(page, 'hiring-applicant');
    await expectAccessible(page, 'applicant');
    const mine = await apiGet('/me/applications');
    assert.equal(mine.items[0].status, 'SHORTLISTED');
  });
});
