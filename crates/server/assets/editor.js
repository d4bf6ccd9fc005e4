// editor.js: the question editor (/orgs/{org}/banks/{bank}/questions/...).
// - shows only the answer-key fields of the chosen type (without this
//   script every field shows, each labelled with its types);
// - the live preview: on every change the form is sent (debounced) to the
//   page's preview URL, which renders the Markdown exactly as the exam does
//   and answers the candidate's shape of the question; question-view.js (the
//   exam page's own module) draws it.

const form = document.getElementById('question-form');
const box = document.getElementById('question-preview');

function showKeyFields() {
  const type = form.elements.type?.value;
  for (const group of form.querySelectorAll('[data-types]')) {
    const on = group.dataset.types.split(' ').includes(type);
    group.hidden = !on;
    for (const input of group.querySelectorAll('input, textarea, select')) input.disabled = !on;
  }
}

async function start() {
  if (!form) return;
  showKeyFields();
  form.elements.type?.addEventListener('change', showKeyFields);
  if (!box) return;
  const view = await import(box.dataset.viewSrc);
  const status = document.getElementById('preview-status');
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
  let timer = null;
  let asked = 0;
  const refresh = async () => {
    const mine = ++asked;
    // The fields of the chosen type (hidden groups are other types' keys);
    // read-only forms (a disabled fieldset) are previewed too.
    const body = new URLSearchParams();
    for (const field of form.elements) {
      if (!field.name || field.closest('[data-types][hidden]')) continue;
      if ((field.type === 'checkbox' || field.type === 'radio') && !field.checked) continue;
      body.append(field.name, field.value);
    }
    try {
      const r = await fetch(box.dataset.previewUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf },
        body,
        credentials: 'same-origin',
      });
      if (mine !== asked) return;
      if (!r.ok) {
        status.textContent = 'The preview could not be updated. Reload the page if this persists.';
        return;
      }
      const q = await r.json();
      view.renderQuestion(box, q, { index: 0, total: 1 });
      box.dataset.state = 'ready';
      status.textContent = '';
    } catch {
      if (mine === asked) status.textContent = 'The preview could not be updated: the server is not reachable.';
    }
  };
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(refresh, 50); });
  refresh();
}

start();
