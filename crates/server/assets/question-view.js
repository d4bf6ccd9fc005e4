// question-view.js: how a question looks to the candidate. One module for
// the exam page (exam.js) and the authors' live preview (editor.js), so the
// preview is the candidate's rendering, not a copy of it.
//
// A question is the candidate's shape (GET /sessions/{id}): {id, type,
// text_html, options_html?, options?, blanks?, points}; the HTML is
// sanitized on the server (render_markdown_safe).

export const TYPE_HINTS = {
  single_choice: 'Choose one answer.',
  multiple_select: 'Choose all answers that apply.',
  true_false: 'Choose true or false.',
  short_answer: 'Type a short answer.',
  numeric: 'Type a number.',
  fill_blank: 'Fill in each blank.',
  essay: 'Write your answer.',
};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'html') node.innerHTML = v; // sanitized on the server (render_markdown_safe)
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

/** The heading (number, points), the text and the type's hint of question `i` of `total`. */
export function questionParts(q, i, total) {
  const qid = q.id;
  const head = el('div', { class: 'exam-q-head' },
    el('h2', { id: `qh-${qid}`, tabindex: '-1' }, `Question ${i + 1}`, el('span', { class: 'exam-q-of', text: ` of ${total}` })),
    el('span', { class: 'badge', text: `${q.points} ${q.points === 1 ? 'point' : 'points'}` }));
  const text = el('div', { class: 'exam-q-text', id: `qt-${qid}`, html: q.text_html });
  const hint = el('p', { class: 'hint exam-q-hint', id: `qhint-${qid}`, text: TYPE_HINTS[q.type] || '' });
  return { head, text, hint };
}

/**
 * The answer controls of question `i`: inputs named/identified `a-{id}`.
 * `onChange()` runs on every change, `onWords()` on every essay keystroke.
 */
export function answerControls(q, i, { onChange = () => {}, onWords = () => {} } = {}) {
  const qid = q.id;
  const desc = `qt-${qid} qhint-${qid}`;
  const name = `a-${qid}`;
  const choice = (type, options) => {
    const fs = el('fieldset', { class: 'exam-choices', 'aria-describedby': desc },
      el('legend', { class: 'visually-hidden', text: `Answer to question ${i + 1}` }));
    options.forEach(([value, html], n) => {
      const id = `${name}-${n}`;
      const input = el('input', { type, id, name, value: String(value) });
      input.addEventListener('change', onChange);
      fs.append(el('div', { class: 'exam-option' }, input, el('label', { for: id, html })));
    });
    return fs;
  };
  const field = (label, control, extra) => el('div', { class: 'field' }, el('label', { for: control.id, text: label }), control, extra);
  switch (q.type) {
    case 'single_choice':
      return choice('radio', (q.options_html || q.options || []).map((h, n) => [n, h]));
    case 'multiple_select':
      return choice('checkbox', (q.options_html || q.options || []).map((h, n) => [n, h]));
    case 'true_false':
      return choice('radio', [['true', 'True'], ['false', 'False']]);
    case 'numeric': {
      const input = el('input', { type: 'number', step: 'any', id: name, class: 'exam-number', 'aria-describedby': desc, inputmode: 'decimal' });
      input.addEventListener('input', onChange);
      return field('Your answer (a number)', input);
    }
    case 'fill_blank': {
      const box = el('div', { class: 'exam-blanks' });
      const n = q.blanks || 1;
      for (let b = 0; b < n; b += 1) {
        const input = el('input', { type: 'text', id: `${name}-${b}`, 'aria-describedby': desc, autocomplete: 'off', spellcheck: 'false' });
        input.addEventListener('input', onChange);
        box.append(field(n === 1 ? 'The blank' : `Blank ${b + 1}`, input));
      }
      return box;
    }
    case 'essay': {
      const area = el('textarea', { id: name, rows: '10', 'aria-describedby': desc });
      const count = el('p', { class: 'hint exam-count', id: `count-${qid}`, 'aria-live': 'off' });
      area.addEventListener('input', () => { onChange(); onWords(); });
      return field('Your answer', area, count);
    }
    default: {
      const input = el('input', { type: 'text', id: name, 'aria-describedby': desc, autocomplete: 'off', spellcheck: 'false' });
      input.addEventListener('input', onChange);
      return field('Your answer', input);
    }
  }
}

/**
 * Renders question `q` into `container` as the exam page shows it (the
 * card with heading, text, hint and answer controls; without the exam's
 * navigation). Returns the card.
 */
export function renderQuestion(container, q, { index = 0, total = 1 } = {}) {
  const { head, text, hint } = questionParts(q, index, total);
  const answer = answerControls(q, index);
  const card = el('section', { class: 'card exam-question', id: `q-${q.id}`, 'aria-labelledby': `qh-${q.id}` },
    head, text, hint, answer);
  container.replaceChildren(card);
  return card;
}
