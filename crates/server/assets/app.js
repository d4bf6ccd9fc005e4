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
