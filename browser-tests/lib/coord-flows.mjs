// The coordinator's flow through the staff console, shared by
// tests/staff-coord.test.mjs and any test that chains it after the
// author/QA flow (which produces an approved bank): create an exam from a
// bank with a draw rule (an error shown next to a rule on the way), enroll
// two candidates by CSV (one bad line shown next to its text), open it.

import assert from 'node:assert/strict';

import { expectAccessible, newPage, screenshot } from './browser.mjs';

export const ORG = 'demo-university';
export const COORDINATOR = 'coordinator@demo.example.org';

/** Signs `page` in as `email` (a demo account of `server`). */
export async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
}

/** Accepts the confirmation that forms with data-confirm ask for. */
export function acceptConfirmations(page) {
  if (page.acceptsConfirmations) return;
  page.acceptsConfirmations = true;
  page.on('dialog', (d) => d.accept());
}

/**
 * The coordinator creates an exam drawing from `bankTitle`, enrolls two
 * candidates by CSV and opens it. Returns { page, examUrl, examId, title,
 * emails } (the page stays signed in as the coordinator).
 */
export async function coordinatorCreatesAndOpens(browser, server, bankTitle, opts = {}) {
  const page = opts.page ?? (await newPage(browser));
  if (!opts.page) await signIn(page, server, COORDINATOR);
  acceptConfirmations(page);
  const title = opts.title ?? `Chemistry final ${Date.now() % 100000}`;
  const stamp = Date.now() % 1000000;
  const emails = [`ana.${stamp}@example.org`, `bo.${stamp}@example.org`];

  // The list, then the form.
  await page.goto(`${server.url}/orgs/${ORG}/exams`);
  await page.getByRole('heading', { name: 'Exams', level: 1 }).waitFor();
  await screenshot(page, 'staff-exams');
  await expectAccessible(page, 'staff exams');
  await page.getByRole('link', { name: 'New exam' }).click();
  await page.waitForURL(/\/exams\/new$/);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Draw questions for each candidate by rules').check();
  await page.locator('#draw_0_bank').selectOption({ label: bankTitle });
  await page.locator('#draw_0_count').fill('3');

  // A second rule asking for no question: the error comes back next to it.
  await page.getByRole('button', { name: 'Add a rule' }).click();
  await page.getByRole('group', { name: 'Rule 2' }).waitFor();
  await page.locator('#draw_1_bank').selectOption({ label: bankTitle });
  await page.locator('#draw_1_count').fill('0');
  await page.getByRole('button', { name: 'Save the exam' }).last().click();
  const ruleError = page.locator('#rule-1-error');
  await ruleError.waitFor();
  assert.match(await ruleError.innerText(), /Questions: Must be between/);
  assert.equal(await page.locator('#rule-0-error').count(), 0);
  await screenshot(page, 'staff-exam-new');
  await expectAccessible(page, 'staff new exam (draw rules with an error)');
  await page.getByRole('button', { name: 'Remove rule 2' }).click();
  await page.getByRole('group', { name: 'Rule 1' }).waitFor();
  assert.equal(await page.getByRole('group', { name: 'Rule 2' }).count(), 0);
  await page.getByRole('button', { name: 'Save the exam' }).last().click();
  await page.waitForURL(/\/exams\/[0-9a-f-]{36}$/);
  const examUrl = page.url();
  const examId = examUrl.split('/').pop();
  await page.getByRole('heading', { name: title }).waitFor();
  assert.match(await page.locator('main').innerText(), /3 question\(s\) from “/);

  // Enroll by CSV: one bad line, shown next to its text; the two good ones enrolled.
  await page.getByRole('link', { name: 'Enrollments' }).click();
  await page.waitForURL(/\/enrollments$/);
  const csv = `email,name,extra_time_percent\n${emails[0]},Ana Example,25\nnot-an-email,Nobody,\n${emails[1]},Bo Example,\n`;
  await page.getByLabel('Or choose a CSV file').setInputFiles({
    name: 'candidates.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByText('candidates.csv loaded: 4 line(s)').waitFor();
  await page.getByRole('button', { name: 'Enroll' }).click();
  await page.getByText('2 enrolled; 1 line(s) with a problem').waitFor();
  const bad = page.locator('tr.bad-line');
  assert.equal(await bad.count(), 1);
  assert.match(await bad.innerText(), /not-an-email,Nobody,[\s\S]*Email:/);
  for (const e of emails) await page.getByRole('cell', { name: e, exact: true }).waitFor();
  await screenshot(page, 'staff-enroll');
  await expectAccessible(page, 'staff enrollments (line errors)');

  // Open it, confirmed.
  await page.goto(examUrl);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.waitForURL(/done=open$/);
  await page.getByText('The exam is open').waitFor();
  assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /ACTIVE/);
  await screenshot(page, 'staff-exam');
  await expectAccessible(page, 'staff exam page');
  return { page, examUrl, examId, title, emails };
}
