// Notifications in headless Chromium against a real `invigil demo`: the
// candidate's /notifications page and preferences form (save with a box
// unchecked), and the org admin's template editor with its live preview
// and a refused text. axe-core on each page; screenshots notify-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';

const ORG = 'demo-university';
const ADMIN = 'admin@demo.example.org';
const CANDIDATE = 'candidate@demo.example.org';

async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('notifications', () => {
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

  test('the candidate reads notifications and changes preferences', async () => {
    const page = await newPage(browser);
    await signIn(page, server, CANDIDATE);
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await screenshot(page, 'notify-list');
    await expectAccessible(page, 'notifications');
    await page.getByRole('link', { name: 'Preferences' }).click();
    await page.getByRole('heading', { name: 'Notification preferences' }).waitFor();
    await expectAccessible(page, 'notification preferences');
    const mail = page.locator('input[name="mail.TEST_RESULT"]');
    assert.equal(await mail.isChecked(), true);
    await mail.uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.waitForURL(/\?saved=1$/);
    await page.getByRole('status').filter({ hasText: 'Your preferences are saved.' }).waitFor();
    assert.equal(await page.locator('input[name="mail.TEST_RESULT"]').isChecked(), false);
    await screenshot(page, 'notify-preferences');
    await expectAccessible(page, 'notification preferences saved');
    await page.close();
  });

  test('the org admin edits a template with a live preview', async () => {
    const page = await newPage(browser);
    await signIn(page, server, ADMIN);
    await page.goto(`${server.url}/orgs/${ORG}/admin/notifications`);
    await page.getByRole('heading', { name: 'Notification templates', level: 1 }).waitFor();
    await screenshot(page, 'notify-templates');
    await expectAccessible(page, 'notification templates');
    await page.goto(`${server.url}/orgs/${ORG}/admin/notifications/results_released/MAIL`);
    await page.getByRole('heading', { name: 'Preview with the sample values' }).waitFor();
    await expectAccessible(page, 'template editor');
    await page.getByLabel('Subject').fill('Graded: {{ exam }}');
    await page.locator('#preview').filter({ hasText: 'Graded: Anatomy final' }).waitFor();
    await page.getByLabel('Subject').fill('Graded: {{ exams }}');
    await page.locator('#preview').filter({ hasText: 'unknown variable' }).waitFor();
    await page.getByRole('button', { name: 'Save the template' }).click();
    await page.locator('#subject-error').waitFor();
    await screenshot(page, 'notify-template-error');
    await expectAccessible(page, 'template editor with an error');
    await page.getByLabel('Subject').fill('Graded: {{ exam }}');
    await page.getByRole('button', { name: 'Save the template' }).click();
    await page.waitForURL(/\?saved=1$/);
    await page.getByText('The template is saved.').waitFor();
    await screenshot(page, 'notify-template-saved');
    await expectAccessible(page, 'template saved');
    await page.close();
  });
});
