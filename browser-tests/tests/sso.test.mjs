// Single sign-on and self sign-up in headless Chromium against a real
// `invigil demo` and a real OpenID Provider (`lib/oidc-op.mjs`, the
// certified `oidc-provider` package on loopback; the demo server runs with
// INVIGIL_SSO_ALLOW_PRIVATE_NETWORKS=true so it may reach it). The demo org
// admin opens self sign-up and configures SSO on /orgs/<slug>/admin/sso; a
// new person clicks "Sign in with ..." on /signin?org=<slug>, signs in at
// the provider and lands signed in as a candidate; another person signs up
// on /orgs/<slug>/sign-up, activates the account from the mail in the
// outbox and is signed in. axe-core on our pages (not the provider's);
// screenshots sso-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

import { startDemo } from '../lib/invigil.mjs';
import { stopProcess, track, within } from '../lib/process.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';

const SLUG = 'demo-university';
const ADMIN = 'admin@demo.example.org';
const CLIENT_ID = 'invigil-browser';
const CLIENT_SECRET = 'invigil-browser-secret-0123456789';

/** Starts the provider for `redirect`; resolves to { issuer, stop() }. */
async function startOp(redirect) {
  const child = track(
    spawn(
      'node',
      [resolve(import.meta.dirname, '..', 'lib', 'oidc-op.mjs'), '0', CLIENT_ID, CLIENT_SECRET, redirect],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const line = await within(
    30_000,
    'the OpenID Provider start',
    new Promise((ok, fail) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', ok);
      child.once('exit', (code) => fail(new Error(`oidc-op exited with ${code}`)));
    }),
  );
  const issuer = line.trim().replace(/^listening /, '');
  assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/, `oidc-op said ${line}`);
  return {
    issuer,
    stop: () => stopProcess(child),
  };
}

async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('single sign-on and self sign-up', () => {
  let server;
  let op;
  let browser;
  let admin;

  before(async () => {
    process.env.INVIGIL_SSO_ALLOW_PRIVATE_NETWORKS = 'true';
    server = await startDemo();
    op = await startOp(`${server.url}/sso/${SLUG}/callback`);
    browser = await launch();
    admin = await newPage(browser);
    admin.setDefaultTimeout(15_000);
    await signIn(admin, server, ADMIN);
  });

  after(async () => {
    await admin?.context().close();
    await browser?.close();
    await op?.stop();
    await server?.stop();
  });

  test('the org admin opens sign-up and configures SSO on the page', async () => {
    await admin.goto(`${server.url}/orgs/${SLUG}/admin`);
    await admin.getByRole('link', { name: 'Single sign-on and sign-up' }).click();
    await admin.getByRole('heading', { name: 'Single sign-on and sign-up', level: 1 }).waitFor();
    await admin.getByText(`${server.url}/sso/${SLUG}/callback`).waitFor();
    await screenshot(admin, 'sso-01-admin-empty');
    await expectAccessible(admin, 'SSO admin page');

    // Sign-up first: a new person signing in through the provider then gets an account.
    await admin.getByLabel('People may sign up themselves').check();
    await admin.getByRole('button', { name: 'Save sign-up settings' }).click();
    await admin.getByText('The sign-up settings are saved.').waitFor();

    // An unreachable provider: the reason next to the issuer URL, with the summary.
    await admin.getByLabel('Issuer URL').fill('http://127.0.0.1:9');
    await admin.getByLabel('Client ID').fill(CLIENT_ID);
    await admin.getByLabel('Client secret').fill(CLIENT_SECRET);
    await admin.getByLabel('Button name').fill('Demo IdP');
    await admin.getByRole('button', { name: 'Save single sign-on' }).click();
    await admin.locator('#sso-issuer_url-error').getByText(/discovery document could not be used/).waitFor();
    await admin.getByText('Single sign-on was not saved').waitFor();
    await screenshot(admin, 'sso-02-admin-discovery-error');
    await expectAccessible(admin, 'SSO admin page with an error');

    await admin.getByLabel('Issuer URL').fill(op.issuer);
    await admin.getByLabel('Client secret').fill(CLIENT_SECRET);
    await admin.getByRole('button', { name: 'Save single sign-on' }).click();
    await admin.getByText('Single sign-on is saved.').waitFor();
    assert.equal(await admin.getByLabel('Client secret').inputValue(), '');
    await admin.getByText('Leave empty to keep the saved one').waitFor();
    await screenshot(admin, 'sso-03-admin-saved');
    await expectAccessible(admin, 'SSO admin page saved');
  });

  test('a new person signs in through the provider and lands as a candidate', async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.url}/signin?org=${SLUG}`);
    await screenshot(page, 'sso-04-signin');
    await expectAccessible(page, 'sign-in with SSO');
    await page.getByRole('link', { name: 'Sign in with Demo IdP' }).click();
    // The provider's own login page (not ours: no axe here).
    await page.waitForURL((url) => url.href.startsWith(op.issuer));
    await page.getByRole('button', { name: 'Sign in as ada' }).click();
    await page.waitForURL((url) => url.href.startsWith(server.url) && !url.pathname.startsWith('/sso/'));
    await screenshot(page, 'sso-05-signed-in');
    await expectAccessible(page, 'signed in through SSO');
    // Signed in for real: a page for signed-in people opens without the sign-in page.
    await page.goto(`${server.url}/me/exams`);
    assert.ok(!page.url().includes('/signin'), page.url());
    await page.context().close();

    // The account is a CANDIDATE member of the organization.
    const token = await server.token(ADMIN);
    const r = await fetch(`${server.url}/api/v1/orgs/${SLUG}/members?limit=500`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 200, await r.clone().text());
    const body = await r.json();
    const ada = body.items.find((m) => JSON.stringify(m).includes('ada@example.org'));
    assert.ok(ada, 'ada is a member');
    assert.ok(JSON.stringify(ada).includes('CANDIDATE'), JSON.stringify(ada));
  });

  test('a person signs up, activates the account from the mail and is signed in', async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(15_000);
    const email = 'newcomer@example.net';
    await page.goto(`${server.url}/signin?org=${SLUG}`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Create your account' }).waitFor();
    await screenshot(page, 'sso-06-sign-up');
    await expectAccessible(page, 'sign-up form');
    await page.getByLabel('Your name').fill('New Comer');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill('a calm long passphrase 42');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.waitForLoadState('load');
    await screenshot(page, 'sso-07-sign-up-sent');
    await expectAccessible(page, 'sign-up sent');

    const mail = (await server.outbox()).filter((m) => m.to === email).at(-1);
    assert.ok(mail, 'a verification mail in the outbox');
    const link = mail.body.match(/https?:\/\/\S+\/sign-up\/verify\?token=[A-Za-z0-9_-]+/)?.[0];
    assert.ok(link, `a verification link in: ${mail.body}`);
    assert.ok(link.startsWith(server.url), `${link} points at this server`);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Activate your account' }).waitFor();
    await expectAccessible(page, 'activate account');
    await page.getByRole('button', { name: 'Activate and sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-up'));
    await screenshot(page, 'sso-08-activated');
    await expectAccessible(page, 'signed in after sign-up');
    await page.goto(`${server.url}/me/exams`);
    assert.ok(!page.url().includes('/signin'), page.url());
    await page.context().close();
  });
});
