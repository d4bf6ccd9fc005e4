// The proctor's live console (templates/staff/live.html). ES module, no
// build step. Without it the page still works (reload to refresh).
//
// - Listens to the exam's feed (EventSource on data-feed: the cookie twin of
//   the API's SSE feed, the page's CSRF token in the query). A `flag` or
//   `session` event refreshes the rows from data-rows (the same roster page,
//   rows only) and a new flag is announced in the polite status region.
// - Rows whose action form is open (or has the focus) keep that form: only
//   their other cells are updated, so a proctor typing a reason is not
//   interrupted.
// - Clocks of running sessions tick every second; heartbeat ages grow.

const root = document.getElementById('live');
const tbody = document.getElementById('live-rows');
const status = document.getElementById('live-status');
const connection = document.getElementById('live-connection');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

/** Renders seconds as `h:mm:ss` or `mm:ss`, like the server. */
function clock(secs) {
  const s = Math.max(0, Math.floor(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

/** Renders an age like the server: "12 s ago", "3 min ago". */
function age(secs) {
  if (secs < 60) return `${Math.max(0, Math.floor(secs))} s ago`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  return `${Math.floor(secs / 3600)} h ago`;
}

// Each clock and age counts from when its row was rendered.
const rendered = new WeakMap();
function stamp(scope) {
  const now = performance.now();
  for (const el of scope.querySelectorAll('[data-remaining], [data-age]')) rendered.set(el, now);
}
/** A new row: its clocks count from now, and htmx drives its form. */
function enhance(row) {
  stamp(row);
  window.htmx?.process(row);
}

function tick() {
  const now = performance.now();
  for (const el of tbody.querySelectorAll('[data-remaining]')) {
    const since = (now - (rendered.get(el) ?? now)) / 1000;
    el.textContent = clock(Number(el.dataset.remaining) - since);
  }
  for (const el of tbody.querySelectorAll('[data-age]')) {
    const since = (now - (rendered.get(el) ?? now)) / 1000;
    const secs = Number(el.dataset.age) + since;
    el.textContent = age(secs);
    el.classList.toggle('stale', secs > 30);
  }
}

function announce(text) {
  if (!status) return;
  const p = document.createElement('p');
  p.textContent = text;
  status.replaceChildren(p);
}

/** Whether a row's action form is in use (open or focused). */
function busy(row) {
  const details = row.querySelector('details');
  return (details && details.open) || row.contains(document.activeElement);
}

let refreshing = null;
let again = false;
/** Fetches the rows of this page and merges them in. */
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const res = await fetch(root.dataset.rows + location.search, {
        headers: { 'X-CSRF-Token': csrf, Accept: 'text/html' },
        credentials: 'same-origin',
      });
      if (!res.ok) {
        announce(`The table could not be refreshed (${res.status}). Reload the page.`);
        return;
      }
      const tpl = document.createElement('template');
      tpl.innerHTML = `<table><tbody>${await res.text()}</tbody></table>`;
      const fresh = [...tpl.content.querySelectorAll('tbody > tr')];
      const keep = new Set();
      for (const row of fresh) {
        const id = row.dataset.session;
        const old = id ? tbody.querySelector(`tr[data-session="${CSS.escape(id)}"]`) : null;
        if (id) keep.add(id);
        if (old && busy(old)) {
          // Everything but the actions cell.
          const cells = [...row.cells];
          [...old.cells].forEach((cell, i) => {
            if (!cell.classList.contains('live-actions') && cells[i]) cell.replaceWith(cells[i]);
          });
          stamp(old);
        } else if (old) {
          old.replaceWith(row);
          enhance(row);
        } else {
          tbody.append(row);
          enhance(row);
        }
      }
      for (const row of [...tbody.rows]) {
        const id = row.dataset.session;
        // Gone from this page (filtered out), or the old empty state.
        if (id ? !keep.has(id) && !busy(row) : true) row.remove();
      }
      const empty = fresh.find((r) => !r.dataset.session);
      if (empty && keep.size === 0) tbody.append(empty);
      tick();
    } catch {
      announce('The table could not be refreshed. Check the connection.');
    } finally {
      refreshing = null;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
  return refreshing;
}

/** The candidate's name in a row, for announcements. */
function nameOf(sessionId) {
  const row = tbody.querySelector(`tr[data-session="${CSS.escape(sessionId)}"]`);
  return row?.querySelector('.live-name')?.textContent ?? 'a candidate';
}

function listen() {
  if (!root?.dataset.feed || !('EventSource' in window)) return;
  const source = new EventSource(root.dataset.feed);
  source.addEventListener('open', () => {
    if (connection) connection.textContent = 'Live: the table updates by itself.';
    root.dataset.live = 'open';
  });
  source.addEventListener('error', () => {
    if (connection) connection.textContent = 'Live updates interrupted; reconnecting…';
    root.dataset.live = 'reconnecting';
  });
  source.addEventListener('flag', (e) => {
    let text = 'New flag.';
    try {
      const ev = JSON.parse(e.data);
      text = `New flag for ${nameOf(ev.session_id)}: ${ev.flag?.description ?? ev.flag?.flag_type ?? ''}`;
    } catch { /* keep the short sentence */ }
    refresh().then(() => announce(text));
  });
  source.addEventListener('session', () => refresh());
  source.addEventListener('lagged', () => refresh());
  source.addEventListener('end', () => {
    source.close();
    if (connection) connection.textContent = 'Live updates stopped (your session ended or changed). Reload the page.';
    root.dataset.live = 'ended';
  });
}

if (root && tbody) {
  stamp(tbody);
  setInterval(tick, 1000);
  listen();
  // After an action (htmx answers with the event live-refresh): the rows
  // change, and the form can be sent again.
  document.body.addEventListener('live-refresh', () => {
    for (const d of tbody.querySelectorAll('details[open]')) d.open = false;
    refresh();
  });
  document.body.addEventListener('htmx:afterRequest', (e) => {
    const form = e.target instanceof Element ? e.target.closest('form') : null;
    if (!form || !tbody.contains(form)) return;
    delete form.dataset.sent;
    for (const b of form.querySelectorAll('button[aria-disabled]')) b.removeAttribute('aria-disabled');
  });
}
