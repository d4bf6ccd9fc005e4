// exam.js: the exam page (/exam/{session}). A plain ES module, no build step.
//
// State machines in the browser, the server stays the judge:
// - questions one at a time or all on one page, a palette (answered /
//   not answered / flagged), flags for review, a review screen, submit;
// - a timer from the server's `expires_at`, corrected by `remaining_seconds`
//   and by the server time of every save, warnings at 10 and 1 minutes;
// - NOTHING IS LOST: every change is written first to a journal in
//   localStorage (key `invigil.exam.<session>`) with an increasing revision
//   per question, then sent (debounced) as `PUT answers/{q} {response,
//   revision}`; an entry leaves the journal only when the server has
//   acknowledged that revision or a higher one. The journal is replayed on
//   load, on reconnect and after a reload (the service worker /exam/sw.js
//   keeps the page and its last session document for a reload offline);
// - proctor actions (pause, extend, warn, terminate) by polling every 2.5 s (POLL_MS);
// - a second tab on the same session is detected (BroadcastChannel plus a
//   localStorage heartbeat): the newer tab wins, the older one is disabled;
// - proctoring (camera, signals) is loaded from proctor.js on proctored exams.

const root = document.getElementById('exam-root');
const $ = (id) => document.getElementById(id);
// How a question looks (shared with the authors' preview): question-view.js,
// whose hashed URL the page gives (it is also a <script> of the page, so the
// service worker keeps it for a reload offline).
const { el, questionParts, answerControls } = root
  ? await import(root.dataset.questionViewSrc)
  : { el: null, questionParts: null, answerControls: null };

const POLL_MS = 2500;
const DEBOUNCE_MS = 800;
const HEARTBEAT_MS = 2000;
/** Sends of a submit that the server refused as busy (503), at most. */
const SUBMIT_TRIES = 5;

function formatTime(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

function spokenTime(totalSeconds) {
  const m = Math.floor(totalSeconds / 60);
  const s = Math.floor(totalSeconds % 60);
  if (m === 0) return `${s} seconds`;
  return s ? `${m} minutes ${s} seconds` : `${m} minutes`;
}

/** Whether a response counts as an answer. */
function isAnswered(q, response) {
  if (response === undefined || response === null) return false;
  switch (q.type) {
    case 'multiple_select': return (response.options || []).length > 0;
    case 'short_answer':
    case 'essay': return typeof response.text === 'string' && response.text.trim() !== '';
    case 'fill_blank': return (response.blanks || []).some((b) => b.trim() !== '');
    default: return true;
  }
}

class Exam {
  constructor(node) {
    this.root = node;
    this.sid = node.dataset.sessionId;
    this.api = node.dataset.apiBase;
    this.csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
    this.key = `invigil.exam.${this.sid}`;
    this.store = this.loadStore();
    this.prefs = this.loadPrefs();
    this.questions = [];
    this.index = 0;
    this.deadline = null;
    this.status = null;
    this.finished = false;
    this.blocked = false;
    this.netDown = !navigator.onLine;
    this.authLost = false;
    this.debounce = {};
    this.inflight = {};
    this.again = {};
    this.retryTimer = null;
    this.proctor = null;
    this.tab = (crypto.randomUUID && crypto.randomUUID()) || String(Math.random()).slice(2);
    this.openedAt = Date.now();
    this.warned = new Set(this.store.warned || []);
    this.saveText = '';
  }

  // ---- local storage: the journal and the preferences

  loadStore() {
    let s = null;
    try { s = JSON.parse(localStorage.getItem(this.key) || 'null'); } catch { s = null; }
    s = s && typeof s === 'object' ? s : {};
    return {
      answers: s.answers || {}, // question id -> {response, revision}: the newest local answer
      pending: s.pending || {}, // question id -> revision not yet acknowledged (the journal)
      flags: s.flags || [],
      seen: s.seen || 0, // proctor messages already shown
      offset: s.offset || 0, // server clock minus local clock, ms
      warned: s.warned || [],
      view: s.view || null, // the last session view from the network (no answers)
    };
  }

  persist() {
    if (this.blocked) return; // the other tab owns the journal now
    this.store.warned = [...this.warned];
    try {
      localStorage.setItem(this.key, JSON.stringify(this.store));
    } catch {
      this.banner('storage', 'error', 'This device cannot keep a copy of your answers (storage is full or blocked). Stay online until the status says Saved.');
    }
  }

  loadPrefs() {
    try { return { view: 'one', contrast: false, large: false, hideTimer: false, ...JSON.parse(localStorage.getItem('invigil.exam.prefs') || '{}') }; } catch { return { view: 'one', contrast: false, large: false, hideTimer: false }; }
  }

  savePrefs() {
    try { localStorage.setItem('invigil.exam.prefs', JSON.stringify(this.prefs)); } catch { /* preferences are optional */ }
  }

  // ---- the API

  async call(method, path, body) {
    const headers = { 'X-CSRF-Token': this.csrf, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(`${this.api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  }

  async problem(r) {
    try { return await r.json(); } catch { return {}; }
  }

  // ---- start

  async start() {
    this.applyPrefs();
    this.bindTools();
    this.watchTabs();
    window.addEventListener('online', () => {
      this.netDown = false;
      this.updateSave();
      // After the deadline too: the server takes saves for its grace period.
      if (this.finished) this.flush().then((empty) => { if (empty) this.forget(); });
      else this.refresh();
    });
    window.addEventListener('offline', () => { this.netDown = true; this.updateSave(); });
    window.addEventListener('focus', () => this.refresh());
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.refresh(); });
    const loaded = await this.refresh(true);
    if (!loaded) return;
    this.registerWorker();
    this.tick();
    this.clock = setInterval(() => this.tick(), 1000);
    this.poll = setInterval(() => this.refresh(), POLL_MS);
    if (this.root.dataset.proctoring === 'true' && !this.finished) this.startProctoring();
  }

  /** GET the session and apply it; the first call builds the page. */
  async refresh(first = false) {
    if (this.finished || (this.refreshing && !first)) return true;
    this.refreshing = true;
    try {
      let r;
      try {
        r = await this.call('GET', `/sessions/${this.sid}`);
      } catch {
        this.netDown = true;
        if (first) return this.startFromJournal();
        this.updateSave();
        return true;
      }
      if (r.status === 401 || r.status === 403) {
        this.signInLost();
        return first ? this.startFromJournal() : true;
      }
      if (!r.ok) {
        if (first && (r.status === 404)) {
          this.fatal('This exam session does not exist or is not yours.');
          return false;
        }
        if (first) return this.startFromJournal();
        return true;
      }
      const cached = r.headers.get('X-Invigil-Cached') === '1';
      const view = await r.json();
      this.netDown = cached;
      this.authLost = false;
      this.banner('auth', null);
      this.apply(view, cached);
      if (!cached) this.flush();
      return true;
    } finally {
      this.refreshing = false;
      this.updateSave();
    }
  }

  /** No network and no cached session: the last view this device kept. */
  startFromJournal() {
    if (this.questions.length) return true;
    if (this.store.view) {
      this.apply(this.store.view, true);
      return true;
    }
    this.fatal('You are offline and this device has no copy of this exam yet. Reconnect to the internet and reload the page.');
    return false;
  }

  apply(view, cached) {
    if (!cached) {
      const serverNow = Date.parse(view.expires_at) - view.remaining_seconds * 1000;
      if (view.remaining_seconds > 0) this.store.offset = serverNow - Date.now();
      const { answers, ...rest } = view;
      this.store.view = rest;
    }
    if (!this.questions.length) {
      this.questions = [...view.questions].sort((a, b) => a.position - b.position);
      this.render();
    }
    // Merge the server's answers with the journal: the higher revision wins.
    for (const q of this.questions) {
      const srv = view.answers?.[q.id];
      const loc = this.store.answers[q.id];
      if (srv && (!loc || srv.revision >= loc.revision)) {
        const changed = !loc || JSON.stringify(loc.response) !== JSON.stringify(srv.response);
        this.store.answers[q.id] = { response: srv.response, revision: srv.revision };
        if (this.store.pending[q.id] !== undefined && this.store.pending[q.id] <= srv.revision) {
          delete this.store.pending[q.id];
        }
        if (changed) this.fill(q);
      }
    }
    this.persist();
    this.updatePalette();
    this.deadline = Date.parse(view.expires_at);
    this.graceMs = (view.grace_seconds || 0) * 1000;
    this.showMessages(view.messages || []);
    const was = this.status;
    this.status = view.status;
    if (['SUBMITTED', 'AUTO_SUBMITTED', 'TERMINATED'].includes(view.status)) {
      this.end(view.status, view.finished_at);
      return;
    }
    this.setPaused(view.status === 'PAUSED', was);
    this.tick();
  }

  // ---- rendering the questions

  render() {
    const box = $('exam-questions');
    box.replaceChildren();
    const total = this.questions.length;
    this.questions.forEach((q, i) => {
      const qid = q.id;
      const { head, text, hint } = questionParts(q, i, total);
      const answer = this.answerControls(q, i);
      const flag = el('button', { type: 'button', class: 'button secondary small exam-flag', 'aria-pressed': 'false', 'data-q': qid }, 'Flag for review');
      flag.addEventListener('click', () => this.toggleFlag(qid));
      const error = el('p', { class: 'exam-q-error', id: `qerr-${qid}`, role: 'alert', hidden: true });
      const prev = el('button', { type: 'button', class: 'button secondary', disabled: i === 0 }, 'Previous question');
      prev.addEventListener('click', () => this.goTo(i - 1, true));
      const next = i + 1 < total
        ? el('button', { type: 'button', class: 'button' }, 'Next question')
        : el('button', { type: 'button', class: 'button' }, 'Review and submit');
      next.addEventListener('click', () => (i + 1 < total ? this.goTo(i + 1, true) : this.openReview()));
      const steps = el('div', { class: 'exam-steps' }, prev, next);
      const section = el('section', { class: 'card exam-question', id: `q-${qid}`, 'aria-labelledby': `qh-${qid}` },
        head, text, hint, answer, error, el('div', { class: 'exam-q-foot' }, flag), steps);
      box.append(section);
      this.fill(q);
    });
    const pal = $('exam-palette');
    pal.replaceChildren();
    this.questions.forEach((q, i) => {
      const b = el('button', { type: 'button', class: 'exam-pal', 'data-q': q.id }, String(i + 1));
      b.addEventListener('click', () => { this.closeReview(); this.goTo(i, true); });
      pal.append(el('li', {}, b));
    });
    this.showView();
  }

  answerControls(q, i) {
    return answerControls(q, i, { onChange: () => this.changed(q), onWords: () => this.countWords(q) });
  }

  countWords(q) {
    const area = $(`a-${q.id}`);
    const words = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
    $(`count-${q.id}`).textContent = `${words} ${words === 1 ? 'word' : 'words'}`;
  }

  /** Reads the controls of a question; undefined when there is nothing to save. */
  read(q) {
    const name = `a-${q.id}`;
    switch (q.type) {
      case 'single_choice': {
        const c = document.querySelector(`input[name="${name}"]:checked`);
        return c ? { option: Number(c.value) } : undefined;
      }
      case 'multiple_select':
        return { options: [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((c) => Number(c.value)) };
      case 'true_false': {
        const c = document.querySelector(`input[name="${name}"]:checked`);
        return c ? { value: c.value === 'true' } : undefined;
      }
      case 'numeric': {
        const input = $(name);
        const v = input.valueAsNumber;
        return input.value !== '' && Number.isFinite(v) ? { value: v } : undefined;
      }
      case 'fill_blank':
        return { blanks: [...document.querySelectorAll(`[id^="${name}-"]`)].map((i) => i.value) };
      default:
        return { text: $(name).value };
    }
  }

  /** Shows the stored answer of a question in its controls. */
  fill(q) {
    const r = this.store.answers[q.id]?.response;
    const name = `a-${q.id}`;
    if (r === undefined) return;
    switch (q.type) {
      case 'single_choice':
      case 'multiple_select':
      case 'true_false': {
        const chosen = q.type === 'single_choice' ? [String(r.option)]
          : q.type === 'multiple_select' ? (r.options || []).map(String) : [String(r.value)];
        for (const c of document.querySelectorAll(`input[name="${name}"]`)) c.checked = chosen.includes(c.value);
        break;
      }
      case 'numeric': {
        const input = $(name);
        if (document.activeElement !== input || input.valueAsNumber !== r.value) input.value = String(r.value);
        break;
      }
      case 'fill_blank':
        (r.blanks || []).forEach((v, b) => { const i = $(`${name}-${b}`); if (i && i.value !== v) i.value = v; });
        break;
      default: {
        const input = $(name);
        if (input && input.value !== r.text) input.value = r.text;
        if (q.type === 'essay') this.countWords(q);
      }
    }
  }

  // ---- the journal and autosave

  changed(q) {
    if (this.blocked || this.finished) return;
    const response = this.read(q);
    if (response === undefined) return;
    const revision = (this.store.answers[q.id]?.revision || 0) + 1;
    this.store.answers[q.id] = { response, revision };
    this.store.pending[q.id] = revision;
    this.persist();
    $(`qerr-${q.id}`).hidden = true;
    this.updatePalette();
    this.updateSave();
    clearTimeout(this.debounce[q.id]);
    this.debounce[q.id] = setTimeout(() => this.send(q.id), DEBOUNCE_MS);
  }

  pendingCount() {
    return Object.keys(this.store.pending).length;
  }

  /** Sends the journal entry of one question; resolves when it is settled. */
  send(qid) {
    if (this.inflight[qid]) {
      this.again[qid] = true;
      return this.inflight[qid];
    }
    if (this.store.pending[qid] === undefined || this.status === 'PAUSED' || this.blocked || this.authLost) {
      return Promise.resolve();
    }
    const { response, revision } = this.store.answers[qid];
    this.inflight[qid] = (async () => {
      try {
        const r = await this.call('PUT', `/sessions/${this.sid}/answers/${qid}`, { response, revision });
        this.netDown = false;
        if (r.ok) {
          const saved = await r.json();
          if (this.store.pending[qid] !== undefined && this.store.pending[qid] <= saved.revision) {
            delete this.store.pending[qid];
          }
          const mine = this.store.answers[qid];
          if (mine && saved.revision > mine.revision) {
            // Another device saved a newer revision: take the server's answer.
            mine.revision = saved.revision;
            this.staleAnswers = true;
          }
          const at = Date.parse(saved.saved_at);
          if (Number.isFinite(at)) this.store.offset = at - Date.now();
          this.persist();
        } else if (r.status === 503) {
          const wait = Number(r.headers.get('Retry-After')) || 2;
          this.retryIn(wait * 1000);
        } else if (r.status === 409) {
          const p = await this.problem(r);
          if (p.code === 'session_paused') this.setPaused(true, this.status);
          this.refresh();
        } else if (r.status === 401 || r.status === 403) {
          this.signInLost();
        } else if (r.status === 422 || r.status === 404) {
          // Never accepted as it is: out of the journal, told next to the question.
          const p = await this.problem(r);
          delete this.store.pending[qid];
          this.persist();
          const msg = $(`qerr-${qid}`);
          if (msg) {
            msg.textContent = `This answer was not accepted: ${p.errors?.[0]?.message || p.detail || 'check it and try again'}.`;
            msg.hidden = false;
          }
        } else {
          this.retryIn(5000);
        }
      } catch {
        this.netDown = true; // kept in the journal; resent on reconnect
      } finally {
        this.inflight[qid] = null;
        this.updateSave();
        this.updatePalette();
      }
      if (this.again[qid]) {
        this.again[qid] = false;
        await this.send(qid);
      }
    })();
    return this.inflight[qid];
  }

  retryIn(ms) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.flush(), ms);
  }

  /** Sends every journal entry now; resolves when all are settled. */
  async flush() {
    for (const t of Object.values(this.debounce)) clearTimeout(t);
    for (let round = 0; round < 3 && this.pendingCount() > 0; round += 1) {
      await Promise.all(Object.keys(this.store.pending).map((qid) => this.send(qid)));
      if (this.netDown || this.authLost || this.status === 'PAUSED') break;
    }
    if (this.staleAnswers) {
      this.staleAnswers = false;
      this.refresh();
    }
    return this.pendingCount() === 0;
  }

  updateSave() {
    let text;
    let cls;
    const n = this.pendingCount();
    if (this.finished) { text = ''; cls = ''; }
    else if (this.authLost) { text = 'Not signed in — answers kept on this device'; cls = 'offline'; }
    else if (this.netDown || !navigator.onLine) { text = 'Offline — answers kept on this device'; cls = 'offline'; }
    else if (n > 0) { text = 'Saving…'; cls = 'saving'; }
    else { text = 'Saved'; cls = 'saved'; }
    const node = $('exam-save');
    if (text !== this.saveText) {
      node.textContent = text;
      this.saveText = text;
    }
    node.dataset.state = cls;
  }

  // ---- navigation, palette, flags, review

  showView() {
    const all = this.prefs.view === 'all';
    this.questions.forEach((q, i) => {
      const s = $(`q-${q.id}`);
      s.hidden = !all && i !== this.index;
      s.querySelector('.exam-steps').hidden = all;
    });
    this.root.classList.toggle('exam-all', all);
    this.updatePalette();
  }

  goTo(i, focus) {
    if (i < 0 || i >= this.questions.length) return;
    this.index = i;
    this.showView();
    const q = this.questions[i];
    const heading = $(`qh-${q.id}`);
    if (this.prefs.view === 'all') $(`q-${q.id}`).scrollIntoView({ block: 'start' });
    if (focus) heading.focus();
  }

  toggleFlag(qid) {
    const flags = new Set(this.store.flags);
    if (flags.has(qid)) flags.delete(qid); else flags.add(qid);
    this.store.flags = [...flags];
    this.persist();
    this.updatePalette();
  }

  updatePalette() {
    const flags = new Set(this.store.flags);
    this.questions.forEach((q, i) => {
      const answered = isAnswered(q, this.store.answers[q.id]?.response);
      const flagged = flags.has(q.id);
      const b = document.querySelector(`.exam-pal[data-q="${q.id}"]`);
      if (b) {
        b.classList.toggle('answered', answered);
        b.classList.toggle('flagged', flagged);
        const current = this.prefs.view !== 'all' && i === this.index;
        if (current) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
        b.setAttribute('aria-label', `Question ${i + 1}: ${answered ? 'answered' : 'not answered'}${flagged ? ', flagged for review' : ''}`);
      }
      const f = document.querySelector(`.exam-flag[data-q="${q.id}"]`);
      if (f) {
        f.setAttribute('aria-pressed', String(flagged));
        f.textContent = flagged ? 'Flagged for review' : 'Flag for review';
      }
    });
  }

  openReview() {
    const flags = new Set(this.store.flags);
    const unanswered = [];
    const flagged = [];
    this.questions.forEach((q, i) => {
      if (!isAnswered(q, this.store.answers[q.id]?.response)) unanswered.push(i);
      if (flags.has(q.id)) flagged.push(i);
    });
    const list = (title, items, empty) => {
      const id = `review-${title.toLowerCase().replace(/\W+/g, '-')}`;
      const section = el('section', { class: 'exam-review-part', 'aria-labelledby': id }, el('h3', { id, text: `${title} (${items.length})` }));
      if (!items.length) { section.append(el('p', { class: 'hint', text: empty })); return section; }
      const ul = el('ul', { class: 'exam-review-list' });
      for (const i of items) {
        const b = el('button', { type: 'button', class: 'button secondary small' }, `Go to question ${i + 1}`);
        b.addEventListener('click', () => { this.closeReview(); this.goTo(i, true); });
        ul.append(el('li', {}, b));
      }
      section.append(ul);
      return section;
    };
    const answered = this.questions.length - unanswered.length;
    const body = $('exam-review-body');
    body.replaceChildren(
      el('p', { text: `You answered ${answered} of ${this.questions.length} questions.` }),
      list('Not answered', unanswered, 'Every question has an answer.'),
      list('Flagged for review', flagged, 'No question is flagged.'),
      el('p', { class: 'hint', text: 'After you submit, you cannot change your answers.' }),
    );
    $('exam-submit-error').hidden = true;
    $('exam-questions').hidden = true;
    $('exam-review').hidden = false;
    $('exam-review').focus();
  }

  closeReview() {
    if ($('exam-review').hidden) return;
    $('exam-review').hidden = true;
    $('exam-questions').hidden = false;
  }

  async submit() {
    if (this.finished || this.submitting) return;
    const error = (text) => { const e = $('exam-submit-error'); e.textContent = text; e.hidden = false; e.focus?.(); };
    this.submitting = true;
    const busy = $('exam-submit-busy');
    const button = $('exam-submit');
    button.disabled = true;
    $('exam-submit-error').hidden = true;
    try {
      const empty = await this.flush();
      if (!empty && this.remaining() > 0) {
        error('Some answers are not on the server yet (you seem to be offline). They are kept on this device. Submit again when the status at the top says Saved.');
        return;
      }
      if (this.proctor?.flush) { try { await this.proctor.flush(); } catch { /* signals are best effort */ } }
      let r;
      for (let tries = 1; ; tries += 1) {
        try { r = await this.call('POST', `/sessions/${this.sid}/submit`); } catch {
          this.netDown = true;
          this.updateSave();
          error('You seem to be offline: the exam was not submitted. Your answers are kept on this device; try again when you are back online.');
          return;
        }
        if (r.status !== 503 || tries >= SUBMIT_TRIES) break;
        // Submits take turns when many arrive at once: wait as the server
        // says (longer each time, spread so that the refused ones do not
        // all come back at once) and send it again, saying so.
        const asked = Math.max(Number(r.headers.get('Retry-After')) || 2, 1);
        const wait = Math.min(asked * 2 ** (tries - 1), 20) + Math.random();
        const about = Math.round(wait);
        const text = `Many candidates are submitting at this moment. Your answers will be sent again in about ${about} ${about === 1 ? 'second' : 'seconds'}; stay on this page.`;
        busy.textContent = text;
        busy.hidden = false;
        this.announce(text);
        await new Promise((ok) => { setTimeout(ok, wait * 1000); });
        // Time ran out meanwhile: the time-up path submits (or the server
        // does at the deadline); this one sends nothing more.
        if (this.finished || this.endingByTime) return;
      }
      if (r.status === 503) {
        error('The server is still busy, so your exam has not been submitted yet. Your answers are saved: press Submit again in a minute.');
        return;
      }
      if (r.ok) {
        const v = await r.json();
        this.end(v.status, v.finished_at);
        return;
      }
      const p = await this.problem(r);
      if (p.code === 'session_paused') error('The proctor has paused your exam. Submit again when it continues.');
      else if (r.status === 401 || r.status === 403) { this.signInLost(); error('You are not signed in any more: sign in again, then submit.'); }
      else { await this.refresh(); if (!this.finished) error(p.detail || 'The exam could not be submitted. Try again.'); }
    } finally {
      busy.hidden = true;
      this.submitting = false;
      button.disabled = false;
    }
  }

  // ---- time

  remaining() {
    if (this.deadline === null) return Infinity;
    return (this.deadline - (Date.now() + this.store.offset)) / 1000;
  }

  tick() {
    if (this.finished || this.deadline === null) return;
    const timer = $('exam-timer');
    if (this.status === 'PAUSED') {
      timer.textContent = 'Paused';
      return;
    }
    const left = this.remaining();
    timer.textContent = formatTime(Math.ceil(left));
    $('exam-timer-wrap').classList.toggle('low', left <= 600);
    for (const mark of [600, 60]) {
      if (left <= mark && left > 0 && !this.warned.has(mark)) {
        this.warned.add(mark);
        this.persist();
        const text = mark === 600 ? '10 minutes left.' : '1 minute left. Your answers are saved as you go.';
        this.announce(text);
        this.banner(`time-${mark}`, 'info', text);
      }
    }
    if (left <= 0) this.timeUp();
  }

  async timeUp() {
    if (this.endingByTime || this.finished) return;
    this.endingByTime = true;
    $('exam-timer').textContent = '00:00';
    this.announce('Time is up.');
    await this.flush();
    if (this.proctor?.flush) { try { await this.proctor.flush(); } catch { /* best effort */ } }
    try {
      const r = await this.call('POST', `/sessions/${this.sid}/submit`);
      if (r.ok) {
        const v = await r.json();
        this.end(v.status === 'SUBMITTED' ? 'AUTO_SUBMITTED' : v.status, v.finished_at);
        return;
      }
    } catch { /* offline: the server submits at the deadline */ }
    this.end('AUTO_SUBMITTED', null, this.pendingCount() > 0);
  }

  // ---- proctor actions

  setPaused(paused, was) {
    const overlay = $('exam-paused');
    const layout = $('exam-layout');
    if (paused && overlay.hidden) {
      this.focusBefore = document.activeElement;
      overlay.hidden = false;
      layout.inert = true;
      document.querySelector('.exam-tools').inert = true;
      overlay.querySelector('[role="alertdialog"]').focus();
    } else if (!paused && !overlay.hidden) {
      overlay.hidden = true;
      layout.inert = this.blocked;
      document.querySelector('.exam-tools').inert = false;
      if (was === 'PAUSED') this.announce('The proctor resumed your exam.');
      if (this.focusBefore?.isConnected) this.focusBefore.focus();
      this.flush();
    }
  }

  showMessages(messages) {
    for (let i = this.store.seen; i < messages.length; i += 1) {
      const m = messages[i];
      this.banner(`msg-${i}`, 'warning', `Message from the proctor: ${m.text}`, true);
    }
    if (messages.length > this.store.seen) {
      this.store.seen = messages.length;
      this.persist();
    }
  }

  /** A dismissable banner (`kind` null removes it). */
  banner(id, kind, text, alert = false) {
    const box = $('exam-banners');
    const old = box.querySelector(`[data-banner="${id}"]`);
    if (!kind) { old?.remove(); return null; }
    const close = el('button', { type: 'button', class: 'button secondary small' }, 'Dismiss');
    const node = el('div', { class: `alert ${kind} exam-banner`, 'data-banner': id, role: alert ? 'alert' : null },
      el('p', { text }), close);
    close.addEventListener('click', () => node.remove());
    if (old) old.replaceWith(node); else box.append(node);
    return node;
  }

  announce(text) {
    const a = $('exam-announce');
    a.textContent = '';
    setTimeout(() => { a.textContent = text; }, 50);
  }

  signInLost() {
    this.authLost = true;
    const node = this.banner('auth', 'error', 'You are not signed in any more. Your answers are kept on this device: sign in again and come back to this page.', true);
    if (node && !node.querySelector('a')) {
      node.insertBefore(el('a', { class: 'button small', href: `/signin?next=${encodeURIComponent(location.pathname)}` }, 'Sign in again'), node.lastChild);
    }
    this.updateSave();
  }

  fatal(text) {
    $('exam-layout').hidden = true;
    document.querySelector('.exam-tools').hidden = true;
    $('exam-save').textContent = '';
    this.banner('fatal', 'error', text, true);
  }

  end(status, finishedAt, unsent = false) {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.clock);
    clearInterval(this.poll);
    clearInterval(this.heartbeat);
    try { this.proctor?.stop?.(); } catch { /* already stopped */ }
    const at = finishedAt ? new Date(finishedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : null;
    let text;
    if (status === 'TERMINATED') text = `The proctor ended this exam${at ? ` at ${at}` : ''}. The answers you had saved were submitted.`;
    else if (status === 'AUTO_SUBMITTED') text = `Time is up. Your answers were submitted automatically${at ? ` at ${at}` : ''}.`;
    else text = `Your answers were submitted${at ? ` at ${at}` : ''}.`;
    if (unsent) text += ' Some answers could not be sent: keep this page open until you are back online.';
    $('exam-end-message').textContent = text;
    for (const id of ['exam-layout', 'exam-paused']) $(id).hidden = true;
    $('exam-banners').replaceChildren();
    document.querySelector('.exam-tools').hidden = true;
    $('exam-timer-wrap').parentElement.hidden = true;
    this.updateSave();
    const box = $('exam-end');
    box.hidden = false;
    box.focus();
    if (!unsent) this.forget();
  }

  /** A finished session leaves nothing behind on this device. */
  forget() {
    try { localStorage.removeItem(this.key); } catch { /* nothing kept */ }
    navigator.serviceWorker?.controller?.postMessage({ type: 'forget', urls: [location.pathname, `${this.api}/sessions/${this.sid}`] });
  }

  // ---- display options

  applyPrefs() {
    const html = document.documentElement;
    html.classList.toggle('exam-hc', !!this.prefs.contrast);
    html.classList.toggle('exam-large', !!this.prefs.large);
    $('exam-contrast-toggle').setAttribute('aria-pressed', String(!!this.prefs.contrast));
    $('exam-large-toggle').setAttribute('aria-pressed', String(!!this.prefs.large));
    $('exam-view-toggle').setAttribute('aria-pressed', String(this.prefs.view === 'all'));
    $('exam-timer-toggle').setAttribute('aria-pressed', String(!!this.prefs.hideTimer));
    $('exam-timer-wrap').classList.toggle('exam-time-hidden', !!this.prefs.hideTimer);
  }

  bindTools() {
    const toggle = (id, change) => $(id).addEventListener('click', () => { change(); this.savePrefs(); this.applyPrefs(); });
    toggle('exam-contrast-toggle', () => { this.prefs.contrast = !this.prefs.contrast; });
    toggle('exam-large-toggle', () => { this.prefs.large = !this.prefs.large; });
    toggle('exam-timer-toggle', () => { this.prefs.hideTimer = !this.prefs.hideTimer; });
    toggle('exam-view-toggle', () => {
      this.prefs.view = this.prefs.view === 'all' ? 'one' : 'all';
      if (this.questions.length) this.showView();
    });
    $('exam-review-open').addEventListener('click', () => this.openReview());
    $('exam-review-close').addEventListener('click', () => { this.closeReview(); this.goTo(this.index, true); });
    $('exam-submit').addEventListener('click', () => this.submit());
    $('exam-qr-show')?.addEventListener('click', () => this.showQr());
  }

  // ---- two tabs

  watchTabs() {
    const hello = { tab: this.tab, openedAt: this.openedAt };
    if ('BroadcastChannel' in window) {
      this.channel = new BroadcastChannel(`invigil-exam-${this.sid}`);
      this.channel.onmessage = (e) => this.onTabMessage(e.data || {});
      this.channel.postMessage({ type: 'hello', ...hello });
    }
    const beatKey = `${this.key}.tab`;
    const beat = () => {
      if (this.blocked || this.finished) return;
      let other = null;
      try { other = JSON.parse(localStorage.getItem(beatKey) || 'null'); } catch { other = null; }
      if (other && other.tab !== this.tab && Date.now() - other.at < HEARTBEAT_MS * 3) {
        if (other.openedAt > this.openedAt) { this.blockTab(); return; }
        this.otherTab();
      }
      try { localStorage.setItem(beatKey, JSON.stringify({ ...hello, at: Date.now() })); } catch { /* no storage */ }
    };
    beat();
    this.heartbeat = setInterval(beat, HEARTBEAT_MS);
    window.addEventListener('pagehide', () => {
      this.channel?.postMessage({ type: 'bye', tab: this.tab });
      try {
        const mine = JSON.parse(localStorage.getItem(beatKey) || 'null');
        if (mine?.tab === this.tab) localStorage.removeItem(beatKey);
      } catch { /* nothing to clean */ }
    });
  }

  onTabMessage(m) {
    if (m.tab === this.tab || this.finished) return;
    if (m.type === 'hello' && m.openedAt >= this.openedAt) {
      this.channel.postMessage({ type: 'here', tab: this.tab, openedAt: this.openedAt });
      this.blockTab();
    } else if (m.type === 'here' && m.openedAt < this.openedAt) {
      this.otherTab();
    } else if (m.type === 'bye' && !this.blocked) {
      this.banner('tabs', null);
    } else if (m.type === 'takeover') {
      this.blockTab();
    }
  }

  otherTab() {
    if (this.blocked) return;
    this.banner('tabs', 'warning', 'This exam is also open in another tab or window. That one is now read-only: close it and continue here.', true);
  }

  blockTab() {
    if (this.blocked) return;
    for (const t of Object.values(this.debounce)) clearTimeout(t);
    this.blocked = true;
    $('exam-layout').inert = true;
    for (const c of $('exam-layout').querySelectorAll('input, textarea, button, select')) c.disabled = true;
    const node = this.banner('tabs', 'error', 'This exam is open in another tab or window. Continue there and close this tab.', true);
    const take = el('button', { type: 'button', class: 'button small' }, 'Use this tab instead');
    take.addEventListener('click', () => {
      this.channel?.postMessage({ type: 'takeover', tab: this.tab, openedAt: Date.now() });
      location.reload();
    });
    node.insertBefore(take, node.lastChild);
  }

  // ---- service worker: the page survives a reload while offline

  registerWorker() {
    if (!('serviceWorker' in navigator) || !this.root.dataset.swUrl) return;
    const shell = [
      location.pathname,
      ...[...document.querySelectorAll('link[rel="stylesheet"][href], script[src]')].map((n) => n.getAttribute('href') || n.getAttribute('src')),
      this.root.dataset.proctorSrc,
    ].filter((u) => u && u.startsWith('/'));
    navigator.serviceWorker.register(this.root.dataset.swUrl, { scope: '/exam/' })
      .then(() => navigator.serviceWorker.ready)
      .then((reg) => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        reg.active.postMessage({ type: 'cache', urls: shell }, [channel.port2]);
        setTimeout(resolve, 10000);
      }))
      .then(async () => {
        if (!navigator.serviceWorker.controller) {
          await new Promise((resolve) => {
            navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
            setTimeout(resolve, 5000);
          });
        }
        // Through the worker, which keeps this copy for a reload offline.
        try { await this.call('GET', `/sessions/${this.sid}`); } catch { /* offline */ }
        this.root.dataset.offline = navigator.serviceWorker.controller ? 'ready' : 'none';
      })
      .catch(() => { this.root.dataset.offline = 'none'; });
  }

  // ---- proctoring and the phone

  async startProctoring() {
    const notice = (text) => { const n = $('exam-proctor-notice'); if (n) n.textContent = text; };
    try {
      const m = await import(this.root.dataset.proctorSrc);
      if (!m.startProctoring) return;
      this.proctor = await m.startProctoring({
        sessionId: this.sid,
        apiBase: this.api,
        csrf: this.csrf,
        video: $('proctor-video'),
        snapshotSeconds: Number(this.root.dataset.snapshotSeconds) || 30,
        requireFullscreen: this.root.dataset.requireFullscreen === 'true',
        faceApiUrl: this.root.dataset.faceApiUrl,
        faceModelUrl: this.root.dataset.faceModelUrl,
        faceWeightsUrl: this.root.dataset.faceWeightsUrl,
        onNotice: notice,
      });
    } catch {
      notice('The proctoring module could not start. Reload the page; if it keeps failing, tell the proctor.');
    }
  }

  async showQr() {
    const box = $('exam-qr');
    box.replaceChildren(el('p', { class: 'hint', text: 'Creating a code…' }));
    try {
      const r = await this.call('POST', `/sessions/${this.sid}/pairing-qr`);
      if (!r.ok) {
        const p = await this.problem(r);
        box.replaceChildren(el('p', { class: 'exam-q-error', text: p.detail || 'The code could not be created. Try again.' }));
        return;
      }
      const { url, svg } = await r.json();
      const img = el('div', { class: 'exam-qr-code', role: 'img', 'aria-label': 'QR code to open on your phone', html: svg });
      box.replaceChildren(img,
        el('p', { class: 'exam-qr-url' }, 'Or open on your phone: ', el('span', { class: 'exam-qr-link', text: url })),
        el('p', { class: 'hint', text: 'The code expires in 5 minutes.' }));
      $('exam-qr-show').textContent = 'Show a new QR code';
    } catch {
      box.replaceChildren(el('p', { class: 'exam-q-error', text: 'You seem to be offline. Try again when you are back online.' }));
    }
  }
}

if (root) {
  const exam = new Exam(root);
  exam.start();
}
