// The people pages: a chosen picture shown before it is uploaded
// (`data-avatar-preview` names the preview image), and copy buttons
// (`data-copy` names the element whose text is copied).

for (const input of document.querySelectorAll('input[type=file][data-avatar-preview]')) {
  const preview = document.getElementById(input.dataset.avatarPreview);
  if (!preview) continue;
  let url = null;
  input.addEventListener('change', () => {
    if (url) URL.revokeObjectURL(url);
    const file = input.files && input.files[0];
    if (!file || !file.type.startsWith('image/')) {
      preview.hidden = true;
      url = null;
      return;
    }
    url = URL.createObjectURL(file);
    preview.src = url;
    preview.hidden = false;
  });
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const status = document.getElementById(button.dataset.copy + '-status');
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      if (status) status.textContent = 'Copied.';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      if (status) status.textContent = 'Selected: press Ctrl+C (or Cmd+C) to copy.';
    }
  });
}
