// Issue 12, browser test 2 end to end: an author imports a GIFT file with one
// bad question and sees the line error, fixes it and submits; QA approves;
// the coordinator creates an exam from that very bank, enrolls two
// candidates by CSV and opens it. The two halves are the flows of
// lib/staff-flows.mjs and lib/coord-flows.mjs (each also has a test file of
// its own with more checks and the screenshots).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDemo } from '../lib/invigil.mjs';
import { launch } from '../lib/browser.mjs';
import { authorAndQaPrepareBank } from '../lib/staff-flows.mjs';
import { ORG, coordinatorCreatesAndOpens } from '../lib/coord-flows.mjs';

describe('from a GIFT file to an open exam', () => {
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

  test('author imports and submits, QA approves, the coordinator creates, enrolls and opens', async () => {
    const title = `Imported bank ${Date.now() % 100000}`;
    const { bankId } = await authorAndQaPrepareBank(browser, server, title, { shots: false });
    const { examId } = await coordinatorCreatesAndOpens(browser, server, title, { title: `Exam from ${title}` });

    const token = await server.token('coordinator@demo.example.org');
    const h = { Authorization: `Bearer ${token}` };
    const bank = await (await fetch(`${server.url}/api/v1/orgs/${ORG}/question-banks/${bankId}`, { headers: h })).json();
    assert.equal(bank.status, 'APPROVED');
    const exam = await (await fetch(`${server.url}/api/v1/orgs/${ORG}/exams/${examId}`, { headers: h })).json();
    assert.equal(exam.status, 'ACTIVE');
    assert.equal(JSON.stringify(exam).includes(bankId), true, 'the exam draws from the imported bank');
    const list = await (await fetch(`${server.url}/api/v1/orgs/${ORG}/exams/${examId}/enrollments`, { headers: h })).json();
    assert.equal(list.items.length, 2);
  });
});
