// The web UI in headless Chromium against a real `invigil demo` process:
// sign-in and sign-out as the demo candidate, a password reset from the mail
// in the outbox, axe-core on every page, 200 % text, and nothing blocked by
// the Content Security Policy.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { launch, newPage, screenshot, seriousViolations } from '../lib/browser.mjs';

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

  async function expectAccessible(page, name) {
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `axe on ${name}`);
    assert.deepEqual(page.problems, [], `CSP or script errors on ${name}`);
  }

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
    const header = await page.locator('header').innerText();
    assert.match(header, /candidate@demo\.example\.org/);
    await screenshot(page, '04-my-exams');
    await expectAccessible(page, 'my exams');

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
});
