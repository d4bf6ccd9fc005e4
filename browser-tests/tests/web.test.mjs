// The web UI in headless Chromium against a real `invigil demo` process:
// sign-in and sign-out as the demo candidate, a password reset from the mail
// in the outbox, axe-core on every page, 200 % text, and nothing blocked by
// the Content Security Policy.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot, openAccountMenu } from '../lib/browser.mjs';

const CANDIDATE = 'candidate@demo.example.org';

describe('web UI', () => {
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

  async function signIn(page, email, password) {
    await page.goto(`${server.url}/`);
    assert.match(new URL(page.url()).pathname, /^\/signin$/);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('a demo candidate signs in, sees their exams and signs out', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/signin`);
    await screenshot(page, '01-signin');
    await expectAccessible(page, 'sign-in');

    // The skip link is the first stop of the keyboard and is visible then.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert.equal(focused, 'Skip to main content');
    await screenshot(page, '02-signin-skip-link');

    // A wrong password: the message is next to the form, not JSON.
    await page.getByLabel('Email address').fill(CANDIDATE);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The email address or password is not correct.').waitFor();
    assert.equal(await page.getByLabel('Email address').inputValue(), CANDIDATE);
    await screenshot(page, '03-signin-wrong-password');
    await expectAccessible(page, 'sign-in with an error');

    await signIn(page, CANDIDATE, server.accounts.get(CANDIDATE));
    await page.waitForURL(/\/me\/exams$/);
    await page.getByRole('heading', { name: 'My exams' }).waitFor();
    await page.getByRole('heading', { name: /Demo exam/ }).waitFor();
    await screenshot(page, '04-my-exams');
    await expectAccessible(page, 'my exams');
    // The account menu names the person and lists their personal pages.
    await openAccountMenu(page);
    const header = await page.locator('header').innerText();
    assert.match(header, /candidate@demo\.example\.org/);
    await page.getByRole('link', { name: 'Profile' }).waitFor();
    await screenshot(page, '04-my-exams-account-menu');
    await expectAccessible(page, 'my exams with the account menu open');
    await page.keyboard.press('Escape');

    // The cookie: HttpOnly, SameSite=Lax, not readable by scripts.
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'invigil_session');
    assert.ok(session, 'session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie), '');

    // 200 % text: nothing needs scrolling sideways.
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px at 200 % text`);
    await screenshot(page, '05-my-exams-200-percent');
    await page.evaluate(() => { document.documentElement.style.fontSize = ''; });

    await openAccountMenu(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin\?notice=signed_out$/);
    await page.getByText('You are signed out.').waitFor();
    await screenshot(page, '06-signed-out');
    await expectAccessible(page, 'signed out');
    // Signed out for real: the home page asks to sign in again.
    await page.goto(`${server.url}/me/exams`);
    assert.match(page.url(), /\/signin\?next=%2Fme%2Fexams$/);
    await page.context().close();
  });

  test('a password reset from the mail in the outbox works end to end', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/signin`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await screenshot(page, '07-forgot-password');
    await expectAccessible(page, 'forgot password');
    await page.getByLabel('Email address').fill(CANDIDATE);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText(/we have sent it a link/).waitFor();
    await screenshot(page, '08-forgot-password-sent');

    const mails = (await server.outbox()).filter((m) => m.to === CANDIDATE);
    const mail = mails.at(-1);
    assert.ok(mail, 'a reset mail in the outbox');
    const link = mail.body.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)?.[0];
    assert.ok(link, `a reset link in: ${mail.body}`);
    assert.ok(link.startsWith(server.url), `${link} points at this server`);

    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await expectAccessible(page, 'reset password');
    // A weak password is refused next to its field.
    await page.getByLabel('New password', { exact: true }).fill('password');
    await page.getByLabel('New password again').fill('password');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.locator('#new_password-error').waitFor();
    await screenshot(page, '09-reset-password-error');
    await expectAccessible(page, 'reset password with an error');

    const fresh = 'a calm new passphrase 42';
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('New password again').fill(fresh);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.waitForURL(/\/signin\?notice=password_reset$/);
    await screenshot(page, '10-reset-done');

    await signIn(page, CANDIDATE, fresh);
    await page.waitForURL(/\/me\/exams$/);
    server.accounts.set(CANDIDATE, fresh);

    // The used link now says so, as a page.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await screenshot(page, '11-dead-link');
    await expectAccessible(page, 'dead link');
    await page.context().close();
  });

  test('an invitation from the mail creates the account and signs in', async () => {
    // The organization's admin invites a new person through the API.
    const admin = 'admin@demo.example.org';
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: admin, password: server.accounts.get(admin) }),
    });
    assert.equal(login.status, 200);
    const { access_token: token } = await login.json();
    const invited = 'new.candidate@demo.example.org';
    const invite = await fetch(`${server.url}/api/v1/orgs/demo-university/invitations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ email: invited, name: 'New Candidate', roles: ['CANDIDATE'] }),
    });
    assert.equal(invite.status, 201, await invite.text());

    const mail = (await server.outbox()).filter((m) => m.to === invited).at(-1);
    const link = mail?.body.match(/https?:\/\/\S+\/accept-invitation\?token=[A-Za-z0-9_-]+/)?.[0];
    assert.ok(link, `an invitation link in: ${mail?.body}`);

    const page = await newPage(browser);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await screenshot(page, '12-accept-invitation');
    await expectAccessible(page, 'accept invitation');
    await page.getByLabel('Your name').fill('Nova Newcomer');
    await page.getByLabel('Choose a password').fill('a calm new passphrase 7');
    await page.getByLabel('The same password again').fill('a different one');
    await page.getByRole('button', { name: 'Accept and sign in' }).click();
    await page.locator('#confirm-error').waitFor();
    await screenshot(page, '13-accept-invitation-error');
    await expectAccessible(page, 'accept invitation with an error');
    await page.getByLabel('Choose a password').fill('a calm new passphrase 7');
    await page.getByLabel('The same password again').fill('a calm new passphrase 7');
    await page.getByRole('button', { name: 'Accept and sign in' }).click();
    await page.waitForURL(/\/me\/exams$/);
    assert.match(await page.locator('header').innerText(), /Nova Newcomer/);
    await screenshot(page, '14-my-exams-empty');
    await expectAccessible(page, 'my exams, none yet');

    // The verification and revert links show a button first; a made-up
    // token is a dead link once the button is pressed.
    await page.goto(`${server.url}/verify-email?token=made-up-token`);
    await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    await expectAccessible(page, 'verify email');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await page.goto(`${server.url}/revert-email?token=made-up-token`);
    await page.getByRole('heading', { name: 'Keep your previous email address' }).waitFor();
    await screenshot(page, '15-revert-email');
    await expectAccessible(page, 'revert email');
    await page.context().close();
  });
});
