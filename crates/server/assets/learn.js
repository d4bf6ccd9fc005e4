// learn.js: the lecture page's video. Resumes at the saved position and
// saves the position through /web-api/v1 (the session cookie and the page's
// CSRF token) every 10 seconds while playing, on pause, after a seek while
// paused, when the page is hidden, and at the end (which also marks the
// lecture complete). Saving never interrupts playback; failures are retried
// by the next save.

const video = document.querySelector('video[data-progress-url]');
const status = document.getElementById('video-status');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

function say(text) {
  if (status) status.textContent = text;
}

if (video) {
  const url = video.dataset.progressUrl;
  const start = Number(video.dataset.position || 0);
  let lastSaved = start;
  let inFlight = false;
  // A save asked for while one is on its way (the end comes right after a
  // pause): sent when that one is back, completion kept.
  let queued = null;
  let completed = false;

  const resume = () => {
    if (start > 0 && Number.isFinite(video.duration) && start < video.duration - 0.5) {
      video.currentTime = start;
    }
  };
  if (video.readyState >= 1) resume();
  else video.addEventListener('loadedmetadata', resume, { once: true });

  async function save(extra = {}) {
    const position = Math.floor(video.currentTime);
    if (inFlight) {
      queued = { ...(queued || {}), ...extra };
      return;
    }
    if (!extra.completed && position === lastSaved) return;
    inFlight = true;
    try {
      const res = await fetch(url, {
        method: 'PUT',
        credentials: 'same-origin',
        keepalive: true,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ position_seconds: position, ...extra }),
      });
      if (res.ok) {
        const body = await res.json();
        lastSaved = position;
        video.dataset.saved = String(body.position_seconds);
        if (body.completed_at && !completed) {
          completed = true;
          video.dataset.completed = 'true';
          say(`Lecture completed. Course progress: ${body.enrollment.progress_percent} %.`);
        } else if (!completed) {
          say(`Position saved at ${clock(body.position_seconds)}.`);
        }
      } else if (res.status === 401 || res.status === 403) {
        say('Your position could not be saved: reload the page (your session may have ended).');
      }
    } catch {
      say('Your position could not be saved (offline?); it is saved again shortly.');
    } finally {
      inFlight = false;
      if (queued) {
        const next = queued;
        queued = null;
        save(next);
      }
    }
  }

  setInterval(() => { if (!video.paused) save(); }, 10_000);
  video.addEventListener('pause', () => save());
  video.addEventListener('seeked', () => { if (video.paused) save(); });
  video.addEventListener('ended', () => save({ completed: true }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save();
  });
}
