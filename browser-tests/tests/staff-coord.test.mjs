// Browser test 2, the coordinator's half: from the demo's approved bank the
// coordinator creates an exam with a draw rule, enrolls two candidates by
// CSV (one bad line shown next to its text) and opens it. The flow is
// browser-tests/lib/coord-flows.mjs, so it can follow the author/QA flow.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, screenshot } from '../lib/browser.mjs';
import { ORG, coordinatorCreatesAndOpens } from '../lib/coord-flows.mjs';

const DEMO_BANK = 'Demo: general knowledge';

describe('coordinator: exam, enrollment by CSV, open', () => {
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

  test('create from the approved bank with a draw rule, enroll by CSV, open', async () => {
    const { page, examUrl, examId, emails } = await coordinatorCreatesAndOpens(browser, server, DEMO_BANK);

    // One candidate's accommodations: 50% extra time and two attempts.
    await page.goto(`${examUrl}/enrollments`);
    await page.getByRole('link', { name: `Overrides for ${emails[1]}` }).click();
    await page.getByRole('heading', { name: /^Overrides for Bo Example/ }).waitFor();
    await page.getByLabel('Extra time (%)').fill('999');
    await page.getByRole('button', { name: 'Save overrides' }).click();
    await page.locator('#extra_time_percent-error').waitFor();
    await screenshot(page, 'staff-overrides');
    await expectAccessible(page, 'staff overrides (with an error)');
    await page.getByLabel('Extra time (%)').fill('50');
    await page.getByLabel('Attempts').fill('2');
    await page.getByRole('button', { name: 'Save overrides' }).click();
    await page.waitForURL(/\/enrollments$/);
    await page.getByRole('cell', { name: '+50% time, 2 attempt(s)' }).waitFor();
    // The API agrees: ACTIVE, with the two enrollments.
    const token = await server.token('coordinator@demo.example.org');
    const h = { Authorization: `Bearer ${token}` };
    const exam = await (await fetch(`${server.url}/api/v1/orgs/${ORG}/exams/${examId}`, { headers: h })).json();
    assert.equal(exam.status, 'ACTIVE');
    assert.equal(exam.draw.length, 1);
    const list = await (await fetch(`${server.url}/api/v1/orgs/${ORG}/exams/${examId}/enrollments`, { headers: h })).json();
    assert.deepEqual(list.items.map((e) => e.email).sort(), [...emails].sort());
    const ana = list.items.find((e) => e.email === emails[0]);
    assert.equal(ana.overrides.extra_time_percent, 25);
    // The two new people were invited by email.
    const mail = await server.outbox();
    for (const e of emails) assert.ok(mail.some((m) => m.to === e), `an invitation to ${e}`);
  });
});
