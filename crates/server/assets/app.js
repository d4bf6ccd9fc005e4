// Invigil web UI: small progressive enhancements. Every page works without
// this file. ES module, loaded from our own origin (CSP: no inline script).

// A form is sent once: its submit button is disabled after the first click,
// so a double click never sends a sign-in (or a reset) twice.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.dataset.sent === '1') {
    event.preventDefault();
    return;
  }
  form.dataset.sent = '1';
  for (const button of form.querySelectorAll('button[type="submit"]')) {
    button.setAttribute('aria-disabled', 'true');
  }
});

// A page that shows field errors moves the focus to the first invalid field,
// and screen readers announce the alert above the form.
window.addEventListener('DOMContentLoaded', () => {
  const invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid instanceof HTMLElement) invalid.focus();
});

// Coming back with the browser's back button re-enables the forms.
window.addEventListener('pageshow', () => {
  for (const form of document.querySelectorAll('form[data-sent]')) {
    delete form.dataset.sent;
    for (const button of form.querySelectorAll('button[aria-disabled]')) {
      button.removeAttribute('aria-disabled');
    }
  }
});

// ---- Staff console (body.staff) ----------------------------------------

// Forms with data-confirm ask before they are sent (plain and htmx alike;
// htmx's own hx-confirm works too).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
    delete form.dataset.sent;
  }
}, true);

// Tables marked data-sortable: each header (unless data-nosort) becomes a
// button that sorts the rows shown, by text or by data-sort-value, and says
// so with aria-sort. Numbers sort as numbers.
function sortable(table) {
  const heads = table.tHead ? [...table.tHead.rows[0].cells] : [];
  heads.forEach((th, col) => {
    if (th.dataset.nosort !== undefined || th.querySelector('button.sort')) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener('click', () => {
      const dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      for (const h of heads) h.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', dir);
      const key = (row) => {
        const cell = row.cells[col];
        if (!cell) return '';
        const v = cell.dataset.sortValue ?? cell.textContent.trim();
        const n = Number(v.replace(/[%\s,]/g, ''));
        return v !== '' && Number.isFinite(n) ? n : v.toLowerCase();
      };
      for (const body of table.tBodies) {
        const rows = [...body.rows];
        rows.sort((a, b) => {
          const x = key(a);
          const y = key(b);
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return dir === 'ascending' ? c : -c;
        });
        body.append(...rows);
      }
    });
  });
}
const enhance = (root) => {
  for (const t of root.querySelectorAll('table[data-sortable]')) sortable(t);
};
window.addEventListener('DOMContentLoaded', () => enhance(document));
document.addEventListener('htmx:afterSettle', (e) => enhance(e.target instanceof Element ? e.target : document));

// An htmx request that fails shows why in the page's alert region: the
// problem's detail (JSON) or the error page's heading and message.
document.addEventListener('htmx:responseError', async (event) => {
  const region = document.getElementById('staff-alert');
  const xhr = event.detail.xhr;
  if (!region || !xhr) return;
  let text = `The request failed (${xhr.status}).`;
  const type = xhr.getResponseHeader('content-type') || '';
  try {
    if (type.includes('json')) {
      const p = JSON.parse(xhr.responseText);
      text = [p.title, p.detail].filter(Boolean).join(': ');
    } else if (type.includes('html')) {
      const doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
      const h = doc.querySelector('main h1');
      const m = doc.querySelector('main h1 + p, main .alert');
      text = [h?.textContent, m?.textContent].filter(Boolean).map((s) => s.trim()).join(': ');
    }
  } catch { /* keep the generic sentence */ }
  region.textContent = text;
});
document.addEventListener('htmx:sendError', () => {
  const region = document.getElementById('staff-alert');
  if (region) region.textContent = 'The server could not be reached. Check the connection and try again.';
});
document.addEventListener('htmx:beforeRequest', () => {
  const region = document.getElementById('staff-alert');
  if (region) region.textContent = '';
});

// Uploads sent by htmx show their progress in the form's <progress>.
document.addEventListener('htmx:xhr:progress', (event) => {
  const form = event.target instanceof Element ? event.target.closest('form') : null;
  const bar = form?.querySelector('progress[data-upload]');
  if (!bar || !event.detail.lengthComputable) return;
  bar.max = event.detail.total;
  bar.value = event.detail.loaded;
});

// ---- Live classes (helper "live") -----------------------------------------
// A button with data-enable-at (an RFC 3339 time) is enabled at that time:
// the Join button of a live class whose join window opens while the page is
// shown. The server checks the window again when the form is sent.
for (const button of document.querySelectorAll('button[data-enable-at]')) {
  const at = Date.parse(button.dataset.enableAt ?? '');
  if (Number.isNaN(at)) continue;
  const enable = () => {
    button.disabled = false;
    button.removeAttribute('data-enable-at');
  };
  const wait = at - Date.now();
  if (wait <= 0) enable();
  else if (wait < 2 ** 31 - 1) setTimeout(enable, wait);
}
// A form that opens in a new tab (Join) may be sent again a moment later:
// whoever closes the meeting's tab can join once more.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.target !== '_blank') return;
  setTimeout(() => {
    delete form.dataset.sent;
    for (const b of form.querySelectorAll('button[aria-disabled]')) b.removeAttribute('aria-disabled');
  }, 3000);
});

// ---- The account menu ------------------------------------------------------
// A <details> disclosure: closes on Escape (focus back on its summary) and on
// a click outside it.
for (const menu of document.querySelectorAll('details.account-menu')) {
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary')?.focus();
    }
  });
  document.addEventListener('click', (event) => {
    if (menu.open && event.target instanceof Node && !menu.contains(event.target)) menu.open = false;
  });
}
