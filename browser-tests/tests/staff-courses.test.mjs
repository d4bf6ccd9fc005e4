// The staff course pages in headless Chromium against a real `invigil demo`:
// an author (EXAM_AUTHOR: TeachCourses) creates a course (a refused price
// first), is refused publishing it empty, adds two chapters, uploads a small
// MP4 as a video lecture (streamed through the files service), adds a text
// lecture, reorders lectures and chapters, publishes and enrolls a learner;
// the learner reviews it through the API; the org admin (ManageCourses)
// hides the review (a reason is required) and builds categories (a cycle is
// refused). axe-core on every page; screenshots teach-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, screenshot } from '../lib/browser.mjs';
import { acceptConfirmations } from '../lib/coord-flows.mjs';
import { AUTHOR, ORG, signedIn } from '../lib/staff-flows.mjs';

const ADMIN = 'admin@demo.example.org';
const CANDIDATE = 'candidate@demo.example.org';
const TITLE = 'Browser chemistry';

/** A small MP4-looking file: an `ftyp` box, then a counter (as the API tests make one). */
function mp4(len) {
  const head = Buffer.from('\0\0\0\x20ftypisom\0\0\x02\0isomiso2mp41', 'latin1');
  const body = Buffer.alloc(len - head.length);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  return Buffer.concat([head, body]);
}

/** The lecture titles of chapter `n` (1-based) in the editor, in order. */
async function lectureTitles(page, n) {
  const chapter = page.locator('ol.chapters > li').nth(n - 1);
  return chapter.locator('table.lectures tbody tr td:first-child a').allTextContents();
}

describe('staff course pages', () => {
  let server;
  let browser;
  let courseUrl;

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('an author builds a course, uploads a video lecture and publishes it', async () => {
    const page = await signedIn(browser, server, AUTHOR);
    acceptConfirmations(page);
    await page.goto(`${server.url}/orgs/${ORG}`);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Courses', exact: true }).click();
    await page.getByRole('heading', { name: 'Courses', level: 1 }).waitFor();
    await screenshot(page, 'teach-list-empty');
    await expectAccessible(page, 'courses list');

    // The form: a paid course without a valid price is refused next to the price.
    await page.getByRole('link', { name: 'New course' }).first().click();
    await page.getByRole('heading', { name: 'New course', level: 1 }).waitFor();
    await expectAccessible(page, 'new course form');
    await page.getByLabel('Title', { exact: true }).fill(TITLE);
    await page.getByLabel('Description').fill('Atoms, molecules and **reactions**.');
    await page.getByLabel('Pricing').selectOption('PAID');
    await page.getByLabel(/^Price/).fill('abc');
    await page.getByRole('button', { name: 'Save the course' }).click();
    await page.locator('#price-error').waitFor();
    assert.match(await page.locator('#price-error').textContent(), /19\.99/);
    await screenshot(page, 'teach-form-error');
    await expectAccessible(page, 'course form with an error');
    await page.getByLabel('Pricing').selectOption('FREE');
    await page.getByLabel(/^Price/).fill('');
    await page.getByRole('button', { name: 'Save the course' }).click();
    await page.waitForURL(/\/courses\/[0-9a-f-]{36}\?done=saved$/);
    courseUrl = page.url().replace(/\?.*$/, '');
    await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();

    // Publishing an empty course is refused with the service's reason.
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#page-problem').waitFor();
    assert.match(await page.locator('#page-problem').textContent(), /lecture/i);
    await screenshot(page, 'teach-publish-refused');
    await expectAccessible(page, 'editor with a refusal');

    // Two chapters.
    for (const title of ['Reactions', 'Basics']) {
      await page.locator('#chapter-title').fill(title);
      await page.getByRole('button', { name: 'Add the chapter' }).click();
      await page.waitForURL(/\?done=chapter$/);
    }
    // "Basics" comes first.
    await page.getByRole('button', { name: 'Move up chapter Basics' }).click();
    await page.waitForURL(/\?done=moved$/);
    const heads = await page.locator('ol.chapters h3').allTextContents();
    assert.deepEqual(heads, ['Chapter 1: Basics', 'Chapter 2: Reactions']);

    // A video lecture with its file, streamed to the files service.
    await page.getByRole('link', { name: 'Add a lecture to chapter 1' }).click();
    await page.getByRole('heading', { name: 'New lecture', level: 1 }).waitFor();
    await expectAccessible(page, 'lecture form');
    await page.getByLabel('Title', { exact: true }).fill('Welcome video');
    await page.getByLabel('Kind').selectOption('VIDEO');
    await page.getByLabel(/^Length/).fill('0:42');
    await page.getByLabel(/^Free preview/).check();
    await page.locator('#file').setInputFiles({ name: 'welcome.mp4', mimeType: 'video/mp4', buffer: mp4(300_000) });
    await screenshot(page, 'teach-lecture-form');
    await page.getByRole('button', { name: 'Save the lecture' }).click();
    await page.waitForURL(/\?done=lecture$/);
    await page.getByRole('cell', { name: /welcome\.mp4/ }).waitFor();

    // A PDF slot given a video: the files service refuses it, next to the file.
    await page.getByRole('link', { name: 'Add a lecture to chapter 2' }).click();
    await page.getByLabel('Title', { exact: true }).fill('Slides');
    await page.getByLabel('Kind').selectOption('PDF');
    await page.locator('#file').setInputFiles({ name: 'slides.pdf', mimeType: 'application/pdf', buffer: mp4(2_000) });
    await page.getByRole('button', { name: 'Save the lecture' }).click();
    await page.locator('#file-error').waitFor();
    await screenshot(page, 'teach-lecture-file-refused');
    await expectAccessible(page, 'lecture form with a refused file');
    await page.getByRole('link', { name: 'Back to the course' }).click();

    // A text lecture, then moved before the video.
    await page.getByRole('link', { name: 'Add a lecture to chapter 1' }).click();
    await page.getByLabel('Title', { exact: true }).fill('Reading: atoms');
    await page.getByLabel('Kind').selectOption('TEXT');
    await page.getByRole('button', { name: 'Save the lecture' }).click();
    await page.locator('#body-error').waitFor();
    await page.getByLabel(/^Text/).fill('# Atoms\n\nEverything is made of them.');
    await page.getByLabel(/^Length/).fill('5:00');
    await page.getByRole('button', { name: 'Save the lecture' }).click();
    await page.waitForURL(/\?done=lecture$/);
    assert.deepEqual(await lectureTitles(page, 1), ['Welcome video', 'Reading: atoms']);
    await page.getByRole('button', { name: 'Move Reading: atoms up' }).click();
    await page.waitForURL(/\?done=moved$/);
    assert.deepEqual(await lectureTitles(page, 1), ['Reading: atoms', 'Welcome video']);

    // Delete and restore the PDF lecture that has no file.
    await page.getByRole('button', { name: 'Delete Slides' }).click();
    await page.waitForURL(/\?done=deleted$/);
    await page.getByRole('button', { name: 'Restore Slides' }).click();
    await page.waitForURL(/\?done=restored$/);

    // Publish.
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.waitForURL(/\?done=publish$/);
    await page.locator('h1 .badge').filter({ hasText: 'PUBLISHED' }).waitFor();
    await screenshot(page, 'teach-editor');
    await expectAccessible(page, 'course editor');

    // Learners: enroll the demo candidate by email (a stranger is refused first).
    await page.getByRole('link', { name: 'Learners' }).click();
    await page.getByRole('heading', { name: 'Learners', level: 1 }).waitFor();
    await expectAccessible(page, 'learners (empty)');
    await page.getByLabel(/^Email addresses/).fill(`nobody@nowhere.example\n${CANDIDATE}`);
    await page.getByRole('button', { name: 'Enroll' }).click();
    await page.locator('#emails-error').waitFor();
    assert.match(await page.locator('#emails-error').textContent(), /nobody@nowhere\.example/);
    await page.getByLabel(/^Email addresses/).fill(CANDIDATE);
    await page.getByRole('button', { name: 'Enroll' }).click();
    await page.waitForURL(/\?done=invited$/);
    await page.getByRole('cell', { name: new RegExp(CANDIDATE.replace('.', '\\.')) }).waitFor();
    await screenshot(page, 'teach-learners');
    await expectAccessible(page, 'learners');

    // The list shows the course, filtered by status and search.
    await page.goto(`${server.url}/orgs/${ORG}/courses?status=PUBLISHED&q=chem`);
    await page.getByRole('link', { name: TITLE }).waitFor();
    await screenshot(page, 'teach-list');
    await expectAccessible(page, 'courses list with a course');
    await page.close();
  });

  test('an admin moderates a review and organizes categories', async () => {
    assert.ok(courseUrl, 'the author test made the course');
    const courseId = courseUrl.split('/').pop();
    // The enrolled learner writes a review through the API.
    const token = await server.token(CANDIDATE);
    const res = await fetch(`${server.url}/api/v1/orgs/${ORG}/courses/${courseId}/reviews`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rating: 2, comment: 'Buy cheap pills at example.com' }),
    });
    assert.equal(res.status, 201, await res.text());

    const page = await signedIn(browser, server, ADMIN);
    acceptConfirmations(page);
    await page.goto(`${courseUrl}/reviews`);
    await page.getByRole('heading', { name: 'Reviews', level: 1 }).waitFor();
    await expectAccessible(page, 'reviews');
    const hide = page.getByRole('button', { name: /^Hide/ });
    await hide.click();
    await page.locator('.review .field-error').waitFor();
    await page.getByLabel('Reason to hide').fill('Spam');
    await page.getByRole('button', { name: /^Hide/ }).click();
    await page.waitForURL(/\?done=hidden$/);
    await page.locator('.review .badge').filter({ hasText: 'Hidden' }).waitFor();
    await screenshot(page, 'teach-reviews');
    await expectAccessible(page, 'reviews with a hidden one');
    await page.getByRole('button', { name: /^Show again/ }).click();
    await page.waitForURL(/\?done=shown$/);

    // Categories: a tree; moving a parent under its child is refused.
    await page.goto(`${server.url}/orgs/${ORG}/course-categories`);
    await page.getByRole('heading', { name: 'Course categories', level: 1 }).waitFor();
    await expectAccessible(page, 'categories (empty)');
    await page.locator('#new-name').fill('Science');
    await page.getByRole('button', { name: 'Add the category' }).click();
    await page.waitForURL(/\?done=added$/);
    await page.locator('#new-name').fill('Chemistry');
    await page.locator('#new-parent').selectOption({ label: 'Science' });
    await page.getByRole('button', { name: 'Add the category' }).click();
    await page.waitForURL(/\?done=added$/);
    const science = page.locator('li.category').filter({ has: page.locator('input[value="Science"]') });
    await science.locator('select').selectOption({ label: '— Chemistry' });
    await science.getByRole('button', { name: 'Save Science' }).click();
    await page.locator('li.category .field-error').waitFor();
    assert.match(await page.locator('li.category .field-error').textContent(), /under itself/);
    await screenshot(page, 'teach-categories');
    await expectAccessible(page, 'categories with a refused move');

    // The course manager sees every course, and the deleted ones under "Deleted".
    await page.goto(`${courseUrl}/delete`);
    await page.getByRole('heading', { name: `Delete “${TITLE}”?`, level: 1 }).waitFor();
    await expectAccessible(page, 'delete confirmation');
    await page.getByRole('button', { name: 'Delete the course' }).click();
    await page.waitForURL(/\/courses\?done=deleted$/);
    await page.goto(`${server.url}/orgs/${ORG}/courses?status=DELETED`);
    await page.getByRole('button', { name: `Restore ${TITLE}` }).click();
    await page.waitForURL(/\/courses\?done=restored$/);
    await page.getByRole('link', { name: TITLE }).waitFor();
    await screenshot(page, 'teach-list-admin');
    await expectAccessible(page, 'courses list of the admin');
    await page.close();
  });
});
