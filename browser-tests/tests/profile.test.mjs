// People pages in headless Chromium against a real `invigil demo` (issue 16
// items 1 and 8): the candidate opens Profile from the account menu, sees a
// validation error, saves, uploads an avatar (a PNG made here) with its
// preview and sees it; the org admin makes an API key, sees its secret once,
// uses it with fetch (an org route its role allows: 200; /api/v1/me: 403),
// revokes it after the confirmation (then 401); the super admin finds a user
// on /admin/users and suspends them. axe-core on every page; screenshots
// profile-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, openAccountMenu, screenshot } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';
const ADMIN = 'admin@demo.example.org';
const SUPER = 'superadmin@demo.example.org';
const ORG = 'demo-university';

/** A 24x24 RGB PNG: a blue square with a yellow diagonal. */
function tinyPng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const size = 24;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) row.push(...(Math.abs(x - y) < 3 ? [250, 200, 20] : [30, 80, 190]));
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('people pages', () => {
  let server;
  let browser;
  const pages = [];

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    for (const p of pages) await p.context().close();
    await browser?.close();
    await server?.stop();
  });

  async function fresh() {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    pages.push(page);
    return page;
  }

  test('the candidate edits the profile and uploads an avatar', async () => {
    const page = await fresh();
    await signIn(page, server, CANDIDATE);
    await openAccountMenu(page);
    await page.getByRole('link', { name: 'Profile', exact: true }).click();
    await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
    // The demo profile is there.
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'Europe/Berlin');
    await expectAccessible(page, 'profile');
    await screenshot(page, 'profile-page');

    // A bad time zone: the message next to the field and in the summary.
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.locator('#pf-time-zone-error').waitFor();
    await page.getByRole('link', { name: /^Time zone:/ }).waitFor();
    assert.equal(await page.getByLabel('Time zone').getAttribute('aria-invalid'), 'true');
    await expectAccessible(page, 'profile with an error');
    await screenshot(page, 'profile-error');

    await page.getByLabel('Time zone').fill('Europe/Paris');
    await page.getByLabel('Skills').fill('rust, sql, testing');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Your profile is saved.').waitFor();
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'Europe/Paris');
    assert.equal(await page.getByLabel('Skills').inputValue(), 'rust, sql, testing');

    // The avatar: a preview before uploading, then the saved picture.
    await page.getByLabel('Choose a picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: tinyPng() });
    await page.locator('#avatar-preview').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await page.getByText('Your new picture is saved.').waitFor();
    const img = page.getByRole('img', { name: 'Your current picture' });
    await img.waitFor();
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth === 24), 'the avatar is shown');
    await expectAccessible(page, 'profile with an avatar');
    await screenshot(page, 'profile-avatar');
    // Every page's account menu button shows it, small and decorative.
    const small = page.locator('.account-menu summary img.avatar-small');
    assert.equal(await small.getAttribute('alt'), '');
    await page.waitForFunction(() => {
      const i = document.querySelector('.account-menu summary img.avatar-small');
      return i && i.complete && i.naturalWidth > 0;
    });
  });

  test('the org admin makes an API key, uses it once shown, and revokes it', async () => {
    const page = await fresh();
    await signIn(page, server, ADMIN);
    await page.goto(`${server.url}/orgs/${ORG}/admin`);
    await page.getByRole('link', { name: 'API keys' }).first().click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await expectAccessible(page, 'api keys');

    await page.getByLabel('Name').fill('Exam sync');
    await page.getByLabel('Exam coordinator').check();
    await page.getByRole('button', { name: 'Make key' }).click();
    const secretEl = page.locator('#new-key-secret');
    await secretEl.waitFor();
    const secret = (await secretEl.textContent()).trim();
    assert.match(secret, /^ivk_/);
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await expectAccessible(page, 'api key created');
    await screenshot(page, 'profile-api-key-created');

    const call = (path) => fetch(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${secret}` } });
    let r = await call(`/orgs/${ORG}/exams`);
    assert.equal(r.status, 200, await r.text());
    r = await call('/me');
    assert.equal(r.status, 403, await r.text());

    // Shown once: the list has the prefix only.
    await page.goto(`${server.url}/orgs/${ORG}/admin/api-keys`);
    const row = page.locator('tr', { hasText: 'Exam sync' });
    await row.waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
    await row.getByRole('link', { name: /Revoke/ }).click();
    await page.getByRole('heading', { name: /Revoke the API key/ }).waitFor();
    await expectAccessible(page, 'api key revoke');
    await screenshot(page, 'profile-api-key-revoke');
    await page.getByRole('button', { name: 'Revoke the key' }).click();
    await page.getByText('The key is revoked').waitFor();
    await page.locator('tr', { hasText: 'Exam sync' }).getByText('Revoked').waitFor();
    r = await call(`/orgs/${ORG}/exams`);
    assert.equal(r.status, 401);
    await screenshot(page, 'profile-api-keys');
  });

  test('the super admin finds a user and suspends them', async () => {
    const page = await fresh();
    await signIn(page, server, SUPER);
    await openAccountMenu(page);
    await page.getByRole('link', { name: 'Accounts (platform)' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    await expectAccessible(page, 'accounts');
    await page.getByLabel('Email address or name contains').fill('proctor@demo');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('cell', { name: 'proctor@demo.example.org', exact: true }).waitFor();
    await screenshot(page, 'profile-accounts');
    await page.locator('tr', { hasText: 'proctor@demo.example.org' }).getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Change the status' }).waitFor();
    await expectAccessible(page, 'account');
    await page.getByLabel('New status').selectOption('SUSPENDED');
    await page.getByLabel('Reason', { exact: true }).first().fill('Shared their password');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.getByText('The status is changed.').waitFor();
    await page.locator('dl').getByText('Suspended').waitFor();
    await expectAccessible(page, 'account suspended');
    await screenshot(page, 'profile-account-suspended');
    // The suspended proctor cannot sign in.
    const r = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'proctor@demo.example.org', password: server.accounts.get('proctor@demo.example.org') }),
    });
    assert.equal(r.status, 403);
  });
});
