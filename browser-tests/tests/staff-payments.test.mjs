// Payments, billing and files in headless Chromium against a real `invigil
// demo`: the org admin creates a plan, the candidate subscribes (API) and
// sees the pending invoice on /me/billing, the admin finds it in the ledger,
// marks it paid, is refused a refund over what was paid (next to the field),
// refunds part of it through the confirm step and sees the ledger; the
// candidate sees the refund; the admin uploads a file and sees the usage.
// axe-core on each page; screenshots money-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot, openAccountMenu } from '../lib/browser.mjs';

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

describe('payments, billing and files', () => {
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

  test('an invoice is paid, partly refunded and seen by both sides; a file is uploaded', async () => {
    const admin = await newPage(browser);
    await signIn(admin, server, ADMIN);

    // A plan, through the console's form.
    await admin.goto(`${server.url}/orgs/${ORG}`);
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Payments' }).click();
    await admin.getByRole('heading', { name: 'Payments', level: 1 }).waitFor();
    await admin.getByRole('navigation', { name: 'Payments' }).getByRole('link', { name: 'Plans' }).click();
    await admin.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
    await admin.getByLabel(/^Code/).fill('PRO');
    await admin.getByLabel('Name').fill('Pro membership');
    await admin.getByLabel('Price per period').fill('9.99');
    await admin.getByRole('button', { name: 'Create the plan' }).click();
    await admin.getByText('The plan is created.').waitFor();
    await screenshot(admin, 'money-plans');
    await expectAccessible(admin, 'plans');

    // The candidate subscribes (the API a checkout page would call).
    const token = await server.token(CANDIDATE);
    const res = await fetch(`${server.url}/api/v1/orgs/${ORG}/subscriptions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ plan: 'PRO' }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { checkout } = await res.json();
    const reference = checkout.payment.reference;

    const learner = await newPage(browser);
    await signIn(learner, server, CANDIDATE);
    await openAccountMenu(learner);
    await learner.getByRole('link', { name: 'Billing' }).click();
    await learner.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
    await learner.getByText(`quoting the reference ${reference}`).waitFor();
    await learner.getByText('9.99 EUR per month').waitFor();
    await screenshot(learner, 'money-billing-invoice');
    await expectAccessible(learner, 'billing with a pending invoice');

    // The admin finds it in the ledger and marks it paid.
    await admin.goto(`${server.url}/orgs/${ORG}/payments?status=PENDING&provider=MANUAL`);
    await admin.getByRole('link', { name: reference }).waitFor();
    await screenshot(admin, 'money-ledger-pending');
    await expectAccessible(admin, 'ledger');
    await admin.getByRole('link', { name: reference }).click();
    await admin.getByRole('heading', { name: new RegExp(`Payment ${reference}`) }).waitFor();
    await expectAccessible(admin, 'pending payment');
    await admin.getByLabel(/^Bank reference/).fill('BANK-2026-12-04');
    await admin.getByRole('button', { name: 'Mark paid' }).click();
    await admin.getByText('The payment is marked paid.').waitFor();

    // A refund over what was paid: refused next to the amount.
    await admin.getByLabel('Amount in EUR').fill('20');
    await admin.getByLabel('Reason').fill('Goodwill');
    await admin.getByRole('button', { name: 'Review the refund' }).click();
    await admin.locator('#amount-error').filter({ hasText: '9.99 EUR' }).waitFor();
    await screenshot(admin, 'money-refund-error');
    await expectAccessible(admin, 'refund refused');

    // Part of it, through the confirm step.
    await admin.getByLabel('Amount in EUR').fill('3');
    await admin.getByLabel('Reason').fill('Started late');
    await admin.getByRole('button', { name: 'Review the refund' }).click();
    await admin.getByRole('heading', { name: 'Refund 3.00 EUR?' }).waitFor();
    await screenshot(admin, 'money-refund-confirm');
    await expectAccessible(admin, 'refund confirm');
    await admin.getByRole('button', { name: 'Refund 3.00 EUR' }).click();
    await admin.getByText('The refund is recorded.').waitFor();
    await admin.getByText('Refunded 3.00 EUR: Started late').waitFor();
    await screenshot(admin, 'money-payment');
    await expectAccessible(admin, 'refunded payment');

    await admin.getByRole('link', { name: 'Payments', exact: true }).first().click();
    await admin.getByRole('heading', { name: 'Payments', level: 1 }).waitFor();
    const row = admin.getByRole('row').filter({ hasText: reference });
    await row.getByText('Partially refunded').waitFor();
    await row.getByText('3.00 EUR').waitFor();
    await screenshot(admin, 'money-ledger');
    await expectAccessible(admin, 'ledger after the refund');

    await admin.getByRole('navigation', { name: 'Payments' }).getByRole('link', { name: 'Subscriptions' }).click();
    await admin.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    await admin.getByRole('row').filter({ hasText: 'Pro membership' }).getByText('Active').waitFor();
    await screenshot(admin, 'money-subscriptions');
    await expectAccessible(admin, 'subscriptions');

    // The candidate sees the refund and the active subscription.
    await learner.reload();
    await learner.getByText('Partially refunded').waitFor();
    await learner.getByText('Active').first().waitFor();
    assert.equal(await learner.getByText('To do:').count(), 0);
    await screenshot(learner, 'money-billing-paid');
    await expectAccessible(learner, 'billing after payment');

    // Files: upload a PDF and see the usage.
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Files' }).click();
    await admin.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
    await expectAccessible(admin, 'files, empty');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(40_000, 'x')]);
    await admin.getByLabel('File', { exact: true }).setInputFiles({ name: 'syllabus.pdf', mimeType: 'application/pdf', buffer: pdf });
    await admin.getByRole('button', { name: 'Upload', exact: true }).click();
    await admin.getByText('The file is uploaded.').waitFor();
    await admin.getByRole('row').filter({ hasText: 'syllabus.pdf' }).getByText('39.1 KiB').waitFor();
    // The demo course's video and PDF count too: the usage grew by the upload.
    const used = await admin.getByText(/ of .* used/).textContent();
    assert.match(used, /\d+(\.\d)? KiB of .* used/, used);
    assert.ok(parseFloat(used) >= 39.1, used);
    // A file of the wrong kind: the reason next to the field.
    await admin.getByLabel('Kind').selectOption('VIDEO');
    await admin.getByLabel('File', { exact: true }).setInputFiles({ name: 'not-a-video.mp4', mimeType: 'video/mp4', buffer: Buffer.from('hello, plain text') });
    await admin.getByRole('button', { name: 'Upload', exact: true }).click();
    await admin.locator('#file-error').waitFor();
    await screenshot(admin, 'money-files-refused');
    await expectAccessible(admin, 'files, upload refused');
    await admin.goto(`${server.url}/orgs/${ORG}/files`);
    await screenshot(admin, 'money-files');
    await expectAccessible(admin, 'files');

    await learner.close();
    await admin.close();
  });
});
