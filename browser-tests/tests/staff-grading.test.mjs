// Browser test 3: the candidate answers the demo exam's essays and submits
// (through the API); the coordinator grades them one after the other in the
// grading pages, with a comment, and releases the results from the exam
// page; the candidate then sees the score and the comment on their result.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { expectAccessible, launch, newPage, screenshot } from '../lib/browser.mjs';
import { COORDINATOR, ORG, acceptConfirmations, signIn } from '../lib/coord-flows.mjs';

const CANDIDATE = 'candidate@demo.example.org';
const DEMO_EXAM = 'Demo exam: general knowledge';
const COMMENT = 'Clear and correct; name the chlorophyll next time.';

describe('grading: an essay graded with a comment, results released', () => {
  let server;
  let browser;
  let sessionId;
  let examId;

  before(async () => {
    server = await startDemo();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the candidate answers the essays and submits', async () => {
    const token = await server.token(CANDIDATE);
    const api = async (method, path, body) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const mine = await api('GET', '/me/exams');
    examId = mine.items.find((e) => e.title === DEMO_EXAM).exam_id;
    const session = await api('POST', `/exams/${examId}/sessions`, {});
    sessionId = session.session_id;
    const essays = session.questions.filter((q) => q.type === 'essay');
    assert.ok(essays.length >= 1);
    for (const q of essays) {
      await api('PUT', `/sessions/${sessionId}/answers/${q.id}`, {
        response: { text: /photosynthesis/i.test(q.text) ? 'Plants turn light, water and carbon dioxide into sugar and oxygen.' : 'I fixed a flaky test by removing a race.' },
        revision: 1,
      });
    }
    await api('POST', `/sessions/${sessionId}/submit`);
  });

  test('the coordinator grades every essay with a comment and releases results', async () => {
    const page = await newPage(browser);
    acceptConfirmations(page);
    await signIn(page, server, COORDINATOR);
    await page.goto(`${server.url}/orgs/${ORG}/grading`);
    await page.getByRole('heading', { name: 'Grading', level: 1 }).waitFor();
    const rows = page.locator('table.data tbody tr', { hasText: DEMO_EXAM });
    assert.ok((await rows.count()) >= 1, 'the essays are in the queue');
    await screenshot(page, 'staff-grading');
    await expectAccessible(page, 'staff grading queue');

    await page.getByRole('link', { name: 'Grade the oldest answer' }).click();
    let first = true;
    for (let n = 0; n < 10 && /\/grading\/[0-9a-f-]{36}\/[0-9a-f-]{36}/.test(page.url()); n++) {
      await page.getByRole('heading', { name: 'Grade an answer' }).waitFor();
      const main = await page.locator('main').innerText();
      assert.match(main, /Rubric/);
      assert.match(main, /The candidate's answer/);
      if (first) {
        await screenshot(page, 'staff-grade');
        await expectAccessible(page, 'staff grade an answer');
        // Too many points: the message is next to the field.
        await page.getByLabel(/^Points/).fill('999');
        await page.getByRole('button', { name: 'Save and go to the next answer' }).click();
        await page.locator('#points-error').waitFor();
        first = false;
      }
      await page.getByLabel(/^Points/).fill('1');
      await page.getByLabel(/^Comment for the candidate/).fill(COMMENT);
      await page.getByRole('button', { name: 'Save and go to the next answer' }).click();
      await page.waitForURL(/saved=1/);
    }
    await page.getByText('Nothing else waits for you here').waitFor();
    assert.equal(await page.locator('table.data tbody tr', { hasText: DEMO_EXAM }).count(), 0);

    // Release from the exam page, confirmed.
    await page.goto(`${server.url}/orgs/${ORG}/exams/${examId}`);
    await page.getByRole('button', { name: 'Release results' }).click();
    await page.waitForURL(/done=release$/);
    await page.getByText('Results are released; the candidates were told').waitFor();
    assert.match(await page.locator('main').innerText(), /Released /);
  });

  test('the candidate sees the score and the comment', async () => {
    const page = await newPage(browser);
    await signIn(page, server, CANDIDATE);
    await page.goto(`${server.url}/me/results/${sessionId}`);
    const main = await page.locator('main').innerText();
    assert.match(main, new RegExp(COMMENT.replace(/[.;]/g, '.')));
    assert.match(main, /\d+(\.\d+)? of \d+|\d+ ?%/);
    await expectAccessible(page, 'candidate result after grading');
  });
});
