// The learning side in headless Chromium against a real `invigil demo`
// (issue 15's acceptance test): the demo candidate opens /courses, enrolls
// in the demo course, watches the video lecture (the position is saved
// while it plays and on pause, a reload resumes there, the end completes
// it: checked through the API), reads the text and PDF lectures, posts a
// review, passes the practice quiz through the existing exam pages, sees
// the result on the course page, and finds the notifications of the
// enrollment and of the practice result (sent by the courses module; the
// lead wires them on main). axe-core on
// the catalog, course and lecture pages; screenshots learn-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';

const ORG = 'demo-university';
const CANDIDATE = 'candidate@demo.example.org';
const COURSE = 'Learning how to learn';

async function signIn(page, server, email) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(server.accounts.get(email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('learning', () => {
  let server;
  let browser;
  let token;
  let page;
  let courseId;

  before(async () => {
    server = await startDemo();
    browser = await launch();
    token = await server.token(CANDIDATE);
    page = await newPage(browser);
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
  });

  async function apiGet(path) {
    const r = await fetch(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `GET ${path}: ${await r.clone().text()}`);
    return r.json();
  }

  /** The demo course as the API shows it to the candidate. */
  const detail = () => apiGet(`/orgs/${ORG}/courses/${courseId}`);
  const lectureOf = (d, title) => d.chapters.flatMap((c) => c.lectures).find((l) => l.title === title);

  test('the catalog lists the demo course; the learner enrolls', async () => {
    await signIn(page, server, CANDIDATE);
    await page.getByRole('link', { name: 'Courses', exact: true }).click();
    await page.getByRole('heading', { name: 'Courses', level: 1 }).waitFor();
    const card = page.locator('.learn-card', { hasText: COURSE });
    await card.waitFor();
    await card.getByText('Free', { exact: true }).waitFor();
    await card.getByText('Beginner').waitFor();
    await screenshot(page, 'learn-catalog');
    await expectAccessible(page, 'catalog');
    // Search and category filters.
    await page.getByLabel('Search').fill('no such course');
    await page.getByRole('button', { name: 'Find courses' }).click();
    await page.getByText('No course matches.').waitFor();
    await page.getByLabel('Search').fill('memory');
    await page.getByLabel('Category').selectOption({ label: 'Study skills — Demo University' });
    await page.getByRole('button', { name: 'Find courses' }).click();
    await page.locator('.learn-card', { hasText: COURSE }).waitFor();

    await page.getByRole('link', { name: COURSE }).click();
    await page.getByRole('heading', { name: COURSE, level: 1 }).waitFor();
    courseId = page.url().split('/learn/')[1].split(/[?#/]/)[0];
    await page.getByRole('heading', { name: 'Course content' }).waitFor();
    await page.getByText('taught by Abe Author').waitFor();
    await screenshot(page, 'learn-course');
    await expectAccessible(page, 'course page');
    await page.getByRole('button', { name: 'Enroll for free' }).click();
    await page.getByRole('status').filter({ hasText: 'You are enrolled' }).waitFor();
    await screenshot(page, 'learn-course-enrolled');
    await expectAccessible(page, 'course page, enrolled');
    const d = await detail();
    assert.equal(d.enrollment.status, 'ACTIVE');
    // The catalog shows the badge and "My courses" the progress.
    await page.goto(`${server.url}/courses`);
    await page.locator('.learn-card', { hasText: COURSE }).getByText('Enrolled').waitFor();
    await page.getByRole('heading', { name: 'My courses' }).waitFor();
    await page.getByRole('link', { name: `Continue ${COURSE}` }).waitFor();
    await screenshot(page, 'learn-my-courses');
    await expectAccessible(page, 'catalog with my courses');
  });

  test('the video lecture saves the position, resumes after a reload and completes at the end', async () => {
    await page.getByRole('link', { name: `Continue ${COURSE}` }).click();
    await page.getByRole('heading', { name: 'Welcome', level: 1 }).waitFor();
    const video = page.locator('#lecture-video');
    await page.waitForFunction(() => document.querySelector('#lecture-video').readyState >= 1, null, { timeout: 15_000 });
    assert.ok(Math.abs((await video.evaluate((v) => v.duration)) - 12) < 0.5, 'the demo video lasts 12 s');
    await screenshot(page, 'learn-lecture-video');
    await expectAccessible(page, 'video lecture');

    // Play (muted, as autoplay rules want) a moment, pause: saved.
    await video.evaluate(async (v) => { v.muted = true; await v.play(); });
    await page.waitForFunction(() => document.querySelector('#lecture-video').currentTime > 1.2, null, { timeout: 10_000 });
    await video.evaluate((v) => v.pause());
    await page.locator('#video-status', { hasText: /Position saved at 0:0[1-9]/ }).waitFor();
    // Seek while paused (the range route serves the bytes): saved again.
    await video.evaluate((v) => { v.currentTime = 7.2; });
    await page.locator('#video-status', { hasText: 'Position saved at 0:07' }).waitFor();
    let welcome = lectureOf(await detail(), 'Welcome');
    assert.equal(welcome.position_seconds, 7);
    assert.equal(welcome.completed, false);

    // A reload resumes at 0:07.
    await page.reload();
    await page.getByText('You stopped at 0:07').waitFor();
    await page.waitForFunction(() => document.querySelector('#lecture-video').currentTime >= 6.9, null, { timeout: 15_000 });
    await screenshot(page, 'learn-lecture-resumed');

    // Play to the end: the lecture is complete.
    await video.evaluate(async (v) => { v.muted = true; v.currentTime = 10.5; await v.play(); });
    await page.locator('#video-status', { hasText: 'Lecture completed' }).waitFor({ timeout: 15_000 });
    welcome = lectureOf(await detail(), 'Welcome');
    assert.equal(welcome.completed, true);
    assert.ok(welcome.position_seconds >= 11, `position ${welcome.position_seconds}`);
    await page.reload();
    await page.locator('#lecture-state', { hasText: 'Completed' }).waitFor();
    assert.deepEqual(page.problems, []);
  });

  test('the text and PDF lectures, mark complete, previous and next', async () => {
    await page.getByRole('link', { name: /Next.*How memory works/ }).click();
    await page.getByRole('heading', { name: 'How memory works', level: 1 }).waitFor();
    await page.locator('article.learn-prose strong', { hasText: 'Spacing.' }).waitFor();
    await expectAccessible(page, 'text lecture');
    await page.getByRole('button', { name: 'Mark complete' }).click();
    await page.locator('#lecture-state', { hasText: 'Completed' }).waitFor();
    await screenshot(page, 'learn-lecture-text');
    assert.equal(lectureOf(await detail(), 'How memory works').completed, true);

    await page.getByRole('link', { name: /Next.*Study planner/ }).click();
    await page.getByRole('heading', { name: 'Study planner (PDF)', level: 1 }).waitFor();
    const href = await page.getByRole('link', { name: 'Download' }).getAttribute('href');
    const pdf = await page.request.get(`${server.url}${href}`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.ok((await pdf.body()).subarray(0, 5).equals(Buffer.from('%PDF-')));
    await screenshot(page, 'learn-lecture-pdf');
    await expectAccessible(page, 'PDF lecture');
    await page.getByRole('link', { name: /Previous.*How memory works/ }).waitFor();
    await page.getByRole('button', { name: 'Mark complete' }).click();
    await page.locator('#lecture-state', { hasText: 'Completed' }).waitFor();
    const d = await detail();
    assert.equal(d.enrollment.progress_percent, 100);
  });

  test('a review: a refused one shows the error by the field, then it is posted', async () => {
    await page.getByRole('link', { name: 'Back to the course' }).click();
    await page.getByRole('heading', { name: COURSE, level: 1 }).waitFor();
    await page.getByLabel('Comment').fill('x'.repeat(5001));
    await page.getByRole('button', { name: 'Post my review' }).click();
    await page.locator('#comment-error', { hasText: 'at most 5000 characters' }).waitFor();
    assert.equal(await page.getByLabel('Comment').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'learn-review-error');
    await expectAccessible(page, 'review with an error');
    await page.getByLabel('4 stars').check();
    await page.getByLabel('Comment').fill('Short and useful; the planner helps.');
    await page.getByRole('button', { name: /(Post|Save) my review/ }).click();
    await page.getByRole('status').filter({ hasText: 'Your review is saved.' }).waitFor();
    await page.locator('.learn-reviews li.mine', { hasText: 'Short and useful' }).waitFor();
    await page.getByText(/4\.0\s+of 5 from 1 review/).waitFor();
    await expectAccessible(page, 'course page with a review');
  });

  test('the practice quiz through the exam pages, its result on the course page', async () => {
    await page.getByRole('button', { name: /^Start/ }).click();
    await page.waitForURL(/\/me\/exams\/[0-9a-f-]+\/check$/);
    await page.getByRole('button', { name: 'Start the exam' }).click();
    await page.waitForURL(/\/exam\/[0-9a-f-]+$/);
    const sid = page.url().split('/exam/')[1];
    const session = await apiGet(`/sessions/${sid}`);
    const byType = (t) => session.questions.find((q) => q.type === t).id;
    await page.getByRole('heading', { name: /Question 1 of 3/ }).waitFor();
    // Every question on one page, then the right answers.
    await page.getByRole('button', { name: 'Show all questions on one page' }).click();
    await page.locator(`#a-${byType('single_choice')}-0`).check();
    await page.locator(`input[name="a-${byType('true_false')}"][value="true"]`).check();
    await page.locator(`#a-${byType('numeric')}`).fill('12');
    await page.locator('#exam-save', { hasText: 'Saved' }).waitFor();
    await page.getByRole('button', { name: 'Review and submit' }).first().click();
    await page.getByRole('heading', { name: 'Review your answers' }).waitFor();
    await page.getByRole('button', { name: 'Submit my answers' }).click();
    await page.getByText(/Your answers were submitted/).waitFor();

    // The result shows on the course page as soon as it is graded.
    let shown = false;
    for (let i = 0; i < 20 && !shown; i += 1) {
      await page.goto(`${server.url}/orgs/${ORG}/learn/${courseId}`);
      shown = (await page.locator('.learn-result').count()) > 0;
      if (!shown) await new Promise((ok) => setTimeout(ok, 500));
    }
    await page.locator('.learn-result', { hasText: 'Your best result: 100 %' }).waitFor();
    await page.locator('.learn-result').getByText('Passed').waitFor();
    await screenshot(page, 'learn-course-result');
    await expectAccessible(page, 'course page with the result');
    const d = await detail();
    const practice = d.chapters.flatMap((c) => c.assessments)[0];
    assert.equal(practice.my_result.passed, true);
  });

  // Needs the course_enrolled and practice_result notifications sent by
  // the courses module (the lead wires them on main: courses/learn.rs).
  test('the learner sees the notifications of the enrollment and the practice result', async () => {
    const wanted = [/^Enrolled in Learning how to learn$/, /^Practice result: Practice quiz: learning how to learn$/];
    let titles = [];
    for (let i = 0; i < 20; i += 1) {
      const list = await apiGet('/me/notifications');
      titles = (list.items || list).map((n) => n.title);
      if (wanted.every((w) => titles.some((t) => w.test(t)))) break;
      await new Promise((ok) => setTimeout(ok, 500));
    }
    for (const w of wanted) assert.ok(titles.some((t) => w.test(t)), `${w} in ${JSON.stringify(titles)}`);
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.locator('.notification', { hasText: 'Practice result: Practice quiz' }).first().waitFor();
    await screenshot(page, 'learn-notification');
    await expectAccessible(page, 'notifications after the course');
  });
});
