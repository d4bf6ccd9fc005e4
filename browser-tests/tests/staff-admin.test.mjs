// The organization's administration and an exam's results for staff, in
// headless Chromium against a real `invigil demo`: admin@ visits every
// administration page (axe, screenshots staff-admin-*.png), renames a
// department, verifies an instructor, edits a proctoring rule and verifies
// the audit log;
// coordinator@ opens the finished demo quiz's gradebook, one candidate's
// answers and downloads the CSV.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';

const ORG = 'demo-university';
const ADMIN = 'admin@demo.example.org';
const COORDINATOR = 'coordinator@demo.example.org';
const FINISHED = 'Demo quiz: finished practice round';

async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('staff: administration and results', () => {
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

  test('the org admin visits every administration page', async () => {
    const page = await newPage(browser);
    await signIn(page, server, ADMIN);
    await page.goto(`${server.url}/orgs/${ORG}/admin`);
    await page.getByRole('heading', { name: 'Administration', level: 1 }).waitFor();
    await screenshot(page, 'staff-admin');
    await expectAccessible(page, 'administration');

    const pages = [
      ['Members and roles', 'members'],
      ['Departments', 'departments'],
      ['Invitations', 'invitations'],
      ['Proctoring rules', 'rules'],
      ['Audit log', 'audit'],
    ];
    for (const [title, name] of pages) {
      await page.goto(`${server.url}/orgs/${ORG}/admin`);
      await page.getByRole('link', { name: title }).first().click();
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await screenshot(page, `staff-admin-${name}`);
      await expectAccessible(page, `administration: ${name}`);
    }

    // The members list shows roles per department.
    await page.goto(`${server.url}/orgs/${ORG}/admin/members`);
    const text = await page.locator('main').innerText();
    assert.match(text, /coordinator@demo\.example\.org/);
    assert.match(text, /Exam coordinator/);
    // The roles editor of one member.
    await page.getByRole('link', { name: /Edit roles of .*Coordinator/i }).first().click();
    await page.getByRole('heading', { name: /Roles of/ }).waitFor();
    await screenshot(page, 'staff-admin-member');
    await expectAccessible(page, 'roles editor');
    // The coordinator teaches here: verified as an instructor on the same page.
    await page.getByRole('button', { name: 'Verify as an instructor' }).click();
    await page.getByText('now a verified instructor').waitFor();
    assert.match(await page.locator('#instructor-state').innerText(),
      /Verified as an instructor by this organization/);
    await screenshot(page, 'staff-admin-member-instructor');
    await expectAccessible(page, 'member page with a verified instructor');
    await page.close();
  });

  test('the org admin renames a department, edits a rule and verifies the log', async () => {
    const page = await newPage(browser);
    await signIn(page, server, ADMIN);

    // Rename Computer Science by keyboard.
    await page.goto(`${server.url}/orgs/${ORG}/admin/departments`);
    const input = page.getByLabel('New name for Computer Science');
    await input.fill('Computing');
    await input.press('Enter');
    await page.getByText('The department was renamed.').waitFor();
    await page.locator('td.dept-name', { hasText: 'Computing' }).waitFor();
    await screenshot(page, 'staff-admin-departments-renamed');
    await expectAccessible(page, 'departments after rename');

    // A department with exams or roles cannot be deleted: the reason shows.
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Delete Medicine' }).click();
    await page.getByRole('heading', { name: 'This cannot be done now' }).waitFor();
    assert.match(await page.locator('main').innerText(), /not empty/);
    await screenshot(page, 'staff-admin-department-not-empty');
    await expectAccessible(page, 'department not empty');

    // Edit a rule: a bad window is refused, then a good change is saved.
    await page.goto(`${server.url}/orgs/${ORG}/admin/rules`);
    const card = page.locator('form.rule-card', { has: page.locator('#rule-tab_switch_burst') });
    await card.getByLabel('Medium: Within (seconds)').fill('0');
    await card.getByRole('button', { name: 'Save tab_switch_burst' }).click();
    await page.getByRole('heading', { name: 'Please correct the form' }).waitFor();
    assert.match(await page.locator('main').innerText(), /within secs/);
    await expectAccessible(page, 'rule refused');
    await page.goto(`${server.url}/orgs/${ORG}/admin/rules`);
    await card.getByLabel('Medium: More than (events)').fill('4');
    await card.getByLabel('Weight (0–1000)').fill('12');
    await card.getByRole('button', { name: 'Save tab_switch_burst' }).click();
    await page.getByText('The rule was saved.').waitFor();
    assert.equal(await card.getByLabel('Medium: More than (events)').inputValue(), '4');
    assert.match(await page.locator('main').innerText(), /uses its own rules/);
    await screenshot(page, 'staff-admin-rules-saved');

    // The audit log has the change; verify says the chain is intact (htmx).
    await page.goto(`${server.url}/orgs/${ORG}/admin/audit`);
    await page.getByLabel('Action').selectOption('org.proctoring_rules_changed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=org\.proctoring_rules_changed/);
    assert.match(await page.locator('table.audit-table').innerText(), /org\.proctoring_rules_changed/);
    await page.getByRole('button', { name: 'Verify the audit log' }).click();
    await page.locator('#verify-result').getByText('The audit chain is intact.').waitFor();
    assert.match(page.url(), /\/admin\/audit\?/, 'verify stays on the page (htmx)');
    await screenshot(page, 'staff-admin-audit-verified');
    await expectAccessible(page, 'audit verified');
    await page.close();
  });

  test('the coordinator opens the finished quiz results and downloads the CSV', async () => {
    const token = await server.token(COORDINATOR);
    const res = await fetch(`${server.url}/api/v1/orgs/${ORG}/exams?limit=100`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const exam = (await res.json()).items.find((e) => e.title === FINISHED);
    assert.ok(exam, 'the finished demo quiz');

    const page = await newPage(browser);
    await signIn(page, server, COORDINATOR);
    await page.goto(`${server.url}/orgs/${ORG}/exams/${exam.id}/results`);
    await page.getByRole('heading', { name: `Results: ${FINISHED}` }).waitFor();
    const table = page.locator('table.data');
    assert.match(await table.innerText(), /candidate@demo\.example\.org/);
    // Sort by score with the keyboard.
    await page.getByRole('button', { name: 'Score' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('th', { hasText: 'Score' }).getAttribute('aria-sort'), 'ascending');
    await screenshot(page, 'staff-results');
    await expectAccessible(page, 'gradebook');

    // The CSV download.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^results-.*\.csv$/);
    const path = await download.path();
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(path, 'utf8');
    assert.match(csv.split('\n')[0], /^session_id,candidate_id,candidate_name,candidate_email/);
    assert.match(csv, /candidate@demo\.example\.org/);

    // One candidate's answers.
    await page.getByRole('link', { name: /^Answers/ }).first().click();
    await page.getByRole('heading', { name: 'Answers per question' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /Correct answer/);
    assert.match(text, /points/);
    await screenshot(page, 'staff-result');
    await expectAccessible(page, 'one result');
    await page.close();
  });
});
