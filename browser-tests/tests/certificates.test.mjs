// Certificates in headless Chromium against a real `invigil demo` (issue 16
// item 4): the demo candidate holds the certificate of the finished demo
// quiz (certificates enabled on it by demo_certs.rs); they open
// Certificates from the account menu, download the PDF, publish it; a
// signed-out browser opens the public verification page; the coordinator
// sees the exam's Certificate card (a bad validity refused next to the
// field), revokes the certificate on the certificates staff page, and the
// verification page then says REVOKED. axe-core on every page;
// screenshots certificates-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, openAccountMenu, screenshot } from '../lib/browser.mjs';
import { acceptConfirmations, signIn } from '../lib/coord-flows.mjs';

const ORG = 'demo-university';
const CANDIDATE = 'candidate@demo.example.org';
const COORDINATOR = 'coordinator@demo.example.org';
const CERT = 'Certificate of achievement: study skills';
const EXAM = 'Demo quiz: finished practice round';

describe('certificates', () => {
  let server;
  let browser;
  let verifyUrl;
  let anon;

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    await anon?.context().close();
    await browser?.close();
    await server?.stop();
  });

  test('the holder downloads the PDF and publishes the certificate', async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    await signIn(page, server, CANDIDATE);
    await openAccountMenu(page);
    await page.getByRole('link', { name: 'Certificates' }).click();
    await page.waitForURL(/\/me\/certificates$/);
    await page.getByRole('heading', { name: 'My certificates', level: 1 }).waitFor();
    const card = page.locator('.cert', { hasText: CERT });
    await card.getByText('VALID', { exact: true }).waitFor();
    await card.getByText('Demo University').waitFor();
    await screenshot(page, 'certificates-mine');
    await expectAccessible(page, 'my certificates');

    const pdfHref = await card.getByRole('link', { name: 'Download PDF' }).getAttribute('href');
    const pdf = await page.request.get(`${server.url}${pdfHref}`);
    assert.equal(pdf.status(), 200);
    assert.match(pdf.headers()['content-type'], /application\/pdf/);
    const bytes = await pdf.body();
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');

    verifyUrl = await card.locator('input.cert-url').inputValue();
    assert.match(verifyUrl, /\/certificates\/[A-Z0-9-]{12,}$/);
    await card.getByRole('button', { name: 'Publish my name on the verification page' }).click();
    await page.locator('.cert', { hasText: CERT }).getByRole('button', { name: 'Unpublish' }).waitFor();
    await expectAccessible(page, 'my certificates published');
    await page.context().close();
  });

  test('a signed-out visitor verifies it', async () => {
    anon = await newPage(browser);
    anon.setDefaultTimeout(15_000);
    const code = verifyUrl.split('/certificates/')[1];
    await anon.goto(`${server.url}/certificates/${code}`);
    await anon.getByRole('heading', { name: 'Certificate verification', level: 1 }).waitFor();
    assert.equal((await anon.locator('#cert-status').textContent()).trim(), 'VALID');
    assert.ok((await anon.locator('#cert-holder').textContent()).trim().length > 0);
    await anon.getByText(CERT).waitFor();
    assert.equal(await anon.locator('details.account-menu').count(), 0, 'signed out');
    await screenshot(anon, 'certificates-verify');
    await expectAccessible(anon, 'verification page');
    const pdf = await anon.request.get(`${server.url}/api/v1/certificates/${code}/pdf`);
    assert.equal(pdf.status(), 200);
    assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
  });

  test('the coordinator sees the exam setting and revokes; the page says revoked', async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    acceptConfirmations(page);
    await signIn(page, server, COORDINATOR);
    // The exam's Certificate card: enabled by the demo, a bad validity refused.
    await page.goto(`${server.url}/orgs/${ORG}/exams?status=COMPLETED`);
    await page.getByRole('link', { name: EXAM }).click();
    const cardBox = page.locator('#certificate');
    await cardBox.getByRole('heading', { name: 'Certificate' }).waitFor();
    assert.equal(await page.getByLabel('Award certificates for this exam').isChecked(), true);
    assert.equal(await page.getByLabel(/Certificate title/).inputValue(), CERT);
    await page.getByLabel(/Valid for \(days\)/).fill('forever');
    await page.getByRole('button', { name: 'Save certificate setting' }).click();
    await page.locator('#cert-days-error').waitFor();
    await expectAccessible(page, 'exam certificate refused');
    await page.getByLabel(/Valid for \(days\)/).fill('365');
    await page.getByRole('button', { name: 'Save certificate setting' }).click();
    await page.getByText('The certificate setting is saved.').waitFor();
    assert.equal(await page.getByLabel(/Valid for \(days\)/).inputValue(), '365');
    await screenshot(page, 'certificates-exam-setting');
    await expectAccessible(page, 'exam certificate card');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Certificates' }).click();
    await page.getByRole('heading', { name: 'Certificates', level: 1 }).waitFor();
    const row = page.locator('tr', { hasText: CERT });
    await expectAccessible(page, 'staff certificates');
    await row.locator('summary', { hasText: 'Revoke' }).click();
    await row.getByLabel('Reason (the holder is told)').fill('Issued by mistake in the demo.');
    await row.getByLabel(/I confirm: revoke this certificate/).check();
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.locator('tr', { hasText: CERT }).getByText('REVOKED', { exact: true }).waitFor();
    await screenshot(page, 'certificates-staff-revoked');
    await expectAccessible(page, 'staff certificates revoked');
    await page.context().close();

    await anon.reload();
    await anon.locator('#cert-status', { hasText: 'REVOKED' }).waitFor();
    await screenshot(anon, 'certificates-verify-revoked');
    await expectAccessible(anon, 'verification page revoked');
  });
});
