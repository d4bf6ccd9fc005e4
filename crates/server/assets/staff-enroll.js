// The staff enrollment page: a chosen CSV file is read into the form's text
// field (so the lines and their errors can be shown and fixed in place) and
// sent with the form, whose <progress data-upload> shows the upload (app.js).
// Without script the page still takes pasted lines.

const MAX_BYTES = 16 * 1024 * 1024;

const reveal = (root) => {
  for (const el of root.querySelectorAll('[data-file-pick]')) el.hidden = false;
};
reveal(document);
document.addEventListener('htmx:afterSettle', () => reveal(document));

document.addEventListener('change', async (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.id !== 'people-file') return;
  const form = input.closest('form');
  const status = document.getElementById('people-file-status');
  const area = form?.querySelector('textarea[name="people"]');
  const file = input.files?.[0];
  if (!form || !area || !file) return;
  if (file.size > MAX_BYTES) {
    if (status) status.textContent = `${file.name} is larger than 16 MiB; split it into smaller files.`;
    return;
  }
  try {
    const text = await file.text();
    area.value = text.replace(/^\uFEFF/, '');
    const lines = area.value.split(/\r?\n/).filter((l) => l.trim() !== '').length;
    if (status) status.textContent = `${file.name} loaded: ${lines} line(s). Check them above, then choose Enroll.`;
  } catch {
    if (status) status.textContent = `${file.name} could not be read.`;
  }
});
