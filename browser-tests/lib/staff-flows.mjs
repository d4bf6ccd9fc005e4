// Staff flows that other browser tests chain: each takes a launched browser
// and a running demo server, works in its own browser contexts, checks
// what it sees on the way (axe on every page, screenshots) and returns what
// the next flow needs.

import assert from 'node:assert/strict';

import { expectAccessible, newPage, screenshot } from './browser.mjs';

export const ORG = 'demo-university';
export const AUTHOR = 'author@demo.example.org';
export const QA = 'qa@demo.example.org';

/** A new page signed in as `email` (its own context). */
export async function signedIn(browser, server, email) {
  const page = await newPage(browser);
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  return page;
}

/** A GIFT file of three questions; `bad` leaves the second without a correct answer. */
export function giftFile(bad) {
  return [
    '// Imported by the staff-author browser test',
    '::Sum:: What is 2 + 2? {=4 ~3 ~5}',
    '',
    `::Capital:: Which city is the capital of France? {${bad ? '~' : '='}Paris ~Lyon ~Nice}`,
    '',
    '::Sun:: The sun is a star. {T}',
    '',
  ].join('\n');
}

/**
 * The author (author@) creates a bank `title`, imports a GIFT file with one
 * bad question and sees the line error next to its line, fixes it, imports
 * it, edits a question (a second version, watching the live preview) and
 * submits the bank; QA (qa@) opens it, looks at the diff of that question's
 * versions and approves. Returns `{ bankId, bankUrl }` of the APPROVED bank.
 */
export async function authorAndQaPrepareBank(browser, server, title, { shots = true } = {}) {
  const shot = (page, name) => (shots ? screenshot(page, name) : undefined);
  const author = await signedIn(browser, server, AUTHOR);

  // The banks list and the create form.
  await author.goto(`${server.url}/orgs/${ORG}/banks`);
  await author.getByRole('heading', { name: 'Question banks', level: 1 }).waitFor();
  await author.getByLabel('Title').fill(title);
  await author.getByLabel('Description').fill('Made by the staff-author browser test.');
  await shot(author, 'staff-banks');
  await expectAccessible(author, 'banks list');
  await author.getByRole('button', { name: 'Create bank' }).click();
  await author.waitForURL(/\/banks\/[0-9a-f-]{36}\?done=created$/);
  const bankUrl = author.url().replace(/\?.*$/, '');
  const bankId = bankUrl.split('/').pop();
  await author.getByRole('heading', { name: title, level: 1 }).waitFor();
  await author.getByText('This bank has no questions yet.').waitFor();

  // Import with one bad question: nothing imported, the error at its line.
  await author.getByRole('link', { name: 'Import questions' }).click();
  await author.getByRole('heading', { name: 'Import questions' }).waitFor();
  await expectAccessible(author, 'import');
  await author.getByLabel('Format').selectOption('gift');
  await author.locator('#file').setInputFiles({ name: 'questions.gift', mimeType: 'text/plain', buffer: Buffer.from(giftFile(true)) });
  await author.getByRole('button', { name: 'Import' }).click();
  const errorLine = author.locator('#line-4');
  await errorLine.locator('.line-error').waitFor();
  assert.match(await errorLine.innerText(), /Capital/);
  assert.match(await errorLine.locator('.line-error').innerText(), /Line 4: .*correct answer/i);
  assert.match(await author.locator('.import-errors h2').innerText(), /1 problem: nothing was imported/);
  // The file's text is now in the text box, to be fixed in place.
  assert.match(await author.locator('#text').inputValue(), /::Capital::/);
  await shot(author, 'staff-import-errors');
  await expectAccessible(author, 'import errors');

  // Fixed: imported, back on the bank with its three questions.
  await author.locator('#text').fill(giftFile(false));
  await author.getByRole('button', { name: 'Import' }).click();
  await author.waitForURL(/\?done=imported&n=3$/);
  await author.getByText('Imported 3 question(s).').waitFor();
  assert.equal(await author.locator('table.data tbody tr').count(), 3);
  await shot(author, 'staff-bank');
  await expectAccessible(author, 'bank');

  // Edit a question: the preview follows the typing; saving makes version 2.
  await author.getByRole('link', { name: /capital of France/ }).click();
  await author.waitForURL(/\/questions\/[0-9a-f-]{36}$/);
  const preview = author.locator('#question-preview');
  await preview.locator('.exam-q-text').waitFor();
  assert.match(await preview.locator('.exam-q-text').innerText(), /capital of France/);
  assert.equal(await preview.locator('input[type="radio"]').count(), 3);
  await author.getByLabel(/Question text/).fill('Which city is the **capital** of France?');
  await author.getByLabel(/Options, one per line/).fill('Paris\nLyon\nNice\nMarseille');
  await preview.locator('.exam-q-text strong', { hasText: 'capital' }).waitFor();
  await author.waitForFunction(() => document.querySelectorAll('#question-preview input[type="radio"]').length === 4);
  await shot(author, 'staff-question-editor');
  await expectAccessible(author, 'question editor');
  await author.getByRole('button', { name: 'Save as a new version' }).click();
  await author.waitForURL(/\?saved=2$/);
  await author.getByText('Saved as version 2.').waitFor();
  const questionUrl = author.url().replace(/\?.*$/, '');

  // Submit for review (confirmed).
  await author.goto(bankUrl);
  author.once('dialog', (d) => d.accept());
  await author.getByRole('button', { name: 'Submit for review' }).click();
  await author.waitForURL(/\?done=submit$/);
  assert.equal(await author.locator('#bank-status').innerText(), 'In review');
  await author.context().close();

  // QA: the bank among those in review, the diff of the edited question, approve.
  const qa = await signedIn(browser, server, QA);
  await qa.goto(`${server.url}/orgs/${ORG}`);
  await qa.getByRole('link', { name: 'Quality assurance' }).click();
  await qa.getByRole('heading', { name: 'Banks in review' }).waitFor();
  await qa.getByRole('link', { name: title }).click();
  await qa.getByRole('heading', { name: 'Quality review' }).waitFor();
  // The question read-only, previewed as the candidate sees it.
  await qa.goto(questionUrl);
  await qa.locator('#question-preview .exam-q-text strong', { hasText: 'capital' }).waitFor();
  assert.equal(await qa.getByRole('button', { name: 'Save as a new version' }).count(), 0);
  await expectAccessible(qa, 'question read-only');
  await qa.goto(`${questionUrl}/diff?a=1&b=2`);
  await qa.getByRole('heading', { name: 'Compare version 1 with version 2' }).waitFor();
  const changed = qa.locator('table.diff tr.changed th');
  const fields = await changed.allInnerTexts();
  assert.ok(fields.some((f) => /^Text/.test(f)), fields.join(', '));
  assert.ok(fields.some((f) => /^Option 4/.test(f)), fields.join(', '));
  assert.ok(!fields.some((f) => /^Points/.test(f)), fields.join(', '));
  await shot(qa, 'staff-diff');
  await expectAccessible(qa, 'diff');
  await qa.goto(bankUrl);
  qa.once('dialog', (d) => d.accept());
  await qa.getByRole('button', { name: 'Approve' }).click();
  await qa.waitForURL(/\?done=approve$/);
  assert.equal(await qa.locator('#bank-status').innerText(), 'Approved');
  await qa.context().close();
  return { bankId, bankUrl };
}
