// Authoring and QA in the staff console against a real `invigil demo`: an
// author creates a bank, imports GIFT with one bad question (the line error
// is shown at its line), fixes it, edits a question with the live preview,
// submits; QA compares the question's versions and approves. Then the
// reject path: a reason is required. axe on every page; screenshots
// staff-banks, staff-bank, staff-import-errors, staff-question-editor,
// staff-diff.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch } from '../lib/browser.mjs';
import { AUTHOR, ORG, QA, authorAndQaPrepareBank, giftFile, signedIn } from '../lib/staff-flows.mjs';

describe('staff: authoring and QA', () => {
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

  test('author imports, fixes, edits and submits; QA compares and approves', async () => {
    const { bankUrl } = await authorAndQaPrepareBank(browser, server, 'Browser test bank');
    assert.match(bankUrl, new RegExp(`/orgs/${ORG}/banks/[0-9a-f-]{36}$`));
  });

  test('the editor previews every type; QA must give a reason to reject', async () => {
    const author = await signedIn(browser, server, AUTHOR);
    await author.goto(`${server.url}/orgs/${ORG}/banks`);
    await author.getByLabel('Title').fill('Reject me');
    await author.getByRole('button', { name: 'Create bank' }).click();
    await author.waitForURL(/\?done=created$/);
    const bankUrl = author.url().replace(/\?.*$/, '');

    // A fill-in-the-blanks question: two blanks in the preview, saved.
    await author.goto(`${bankUrl}/questions/new`);
    await author.getByLabel('Type').selectOption('fill_blank');
    assert.equal(await author.getByLabel(/Options, one per line/).isVisible(), false);
    await author.getByLabel(/Question text/).fill('Water is ___ and ice is ___.');
    await author.waitForFunction(() => document.querySelectorAll('#question-preview .exam-blanks input').length === 2);
    await author.getByLabel(/Accepted answers per blank/).fill('liquid\nsolid | frozen');
    await author.getByRole('button', { name: 'Save' }).click();
    await author.waitForURL(/\?saved=1$/);
    await expectAccessible(author, 'editor after save');

    // A numeric question with a bad tolerance: the message next to the field.
    await author.goto(`${bankUrl}/questions/new?type=numeric`);
    await author.getByLabel(/Question text/).fill('Pi to two decimals?');
    await author.getByLabel(/Correct value/).fill('3.14');
    await author.getByLabel(/Tolerance/).fill('-1');
    await author.getByRole('button', { name: 'Save' }).click();
    await author.locator('#key-error').waitFor();
    assert.match(await author.locator('#key-error').innerText(), /tolerance/i);
    await expectAccessible(author, 'editor with errors');

    await author.goto(bankUrl);
    author.once('dialog', (d) => d.accept());
    await author.getByRole('button', { name: 'Submit for review' }).click();
    await author.waitForURL(/\?done=submit$/);
    await author.context().close();

    const qa = await signedIn(browser, server, QA);
    await qa.goto(bankUrl);
    await qa.getByRole('button', { name: 'Reject' }).click();
    await qa.locator('#reason-error').waitFor();
    await expectAccessible(qa, 'reject without reason');
    await qa.getByLabel(/Reason for rejecting/).fill('The second blank needs more accepted answers.');
    await qa.getByRole('button', { name: 'Reject' }).click();
    await qa.waitForURL(/\?done=reject$/);
    assert.equal(await qa.locator('#bank-status').innerText(), 'Rejected');
    assert.match(await qa.locator('.bank-rejected').innerText(), /second blank/);
    await qa.context().close();
    assert.ok(giftFile(false).includes('=Paris'));
  });
});
