// pair.js: the phone page (/pair?token=...), the phone as a second camera.
// A tap on "Start camera" opens the camera (browsers, iOS first, want a
// tap), claims the pairing token (POST /api/v1/pairing/claim) and hands the
// device credential, kept in memory only, to proctor.js, which sends MOBILE
// photos and heartbeats. The screen is kept awake where the browser can.

const root = document.querySelector('[data-pair]');
if (root) setUp(root);

function setUp(root) {
  const pairingToken = root.dataset.token;
  const apiBase = root.dataset.apiBase || '/api/v1';
  const proctorUrl = root.dataset.proctorUrl;
  const snapshotSeconds = Number(root.dataset.snapshotSeconds) || 20;
  const startButton = root.querySelector('[data-start]');
  const restartButton = root.querySelector('[data-restart]');
  const preview = root.querySelector('[data-preview]');
  const video = preview.querySelector('video');
  const statusBox = root.querySelector('[data-status]');
  const problemBox = root.querySelector('[data-problem]');
  const facingBox = root.querySelector('[data-facing]');

  let stream = null;
  let proctoring = null;
  let wakeLock = null;
  let ended = false;
  let lastPhoto = null;
  let wakeText = '';

  function say(text) {
    statusBox.textContent = text;
  }

  function problem(text) {
    problemBox.textContent = '';
    if (!text) {
      problemBox.classList.remove('alert', 'error');
      return;
    }
    problemBox.classList.add('alert', 'error');
    const p = document.createElement('p');
    p.textContent = text;
    problemBox.appendChild(p);
  }

  function showConnected() {
    const when = lastPhoto
      ? `Last photo sent at ${lastPhoto.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })}.`
      : 'The first photo is sent in a moment.';
    say(`Connected to your exam. ${when} ${wakeText}`.trim());
  }

  function facing() {
    const checked = root.querySelector('input[name="facing"]:checked');
    return checked ? checked.value : 'environment';
  }

  function stopStream() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }

  async function openCamera() {
    stopStream();
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: facing() }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    for (const track of stream.getVideoTracks()) {
      track.addEventListener('ended', cameraStopped);
    }
    video.srcObject = stream;
    preview.hidden = false;
    try {
      await video.play();
    } catch {
      // muted inline video plays without a tap on every current browser
    }
  }

  function cameraStopped() {
    if (ended) return;
    restartButton.hidden = false;
    problem('The camera stopped. Phones stop the camera when this page is not in front or the screen turns off. ' +
      'Keep this page open and in front, then tap "Restart camera".');
  }

  async function keepAwake() {
    if (!('wakeLock' in navigator)) {
      wakeText = 'Keep the screen on: this browser cannot keep it awake by itself.';
      return;
    }
    try {
      wakeLock = await navigator.wakeLock.request('screen');
      wakeLock.addEventListener('release', () => {
        wakeLock = null;
      });
      wakeText = 'The screen stays on while this page is in front.';
    } catch {
      wakeText = 'Keep the screen on: the phone did not allow this page to keep it awake.';
    }
  }

  function fingerprint() {
    let id = null;
    try {
      id = localStorage.getItem('invigil-phone-id');
      if (!id) {
        id = (crypto.randomUUID && crypto.randomUUID()) || String(Math.random()).slice(2);
        localStorage.setItem('invigil-phone-id', id);
      }
    } catch {
      id = String(Math.random()).slice(2);
    }
    return `phone ${id} ${navigator.userAgent}`.slice(0, 256);
  }

  async function claim() {
    let res;
    try {
      res = await fetch(`${apiBase}/pairing/claim`, {
        method: 'POST',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ pairing_token: pairingToken, device_fingerprint: fingerprint() }),
      });
    } catch {
      return { error: 'No connection. Check that the phone is online, then tap "Start camera" again.', retry: true };
    }
    if (res.ok) return { ok: await res.json() };
    let code = '';
    try {
      code = (await res.json()).code || '';
    } catch {
      code = '';
    }
    if (code === 'session_closed') {
      return { error: 'This exam session has ended. There is nothing more to do on this phone.' };
    }
    if (res.status === 400 || res.status === 409) {
      return { error: 'This code has expired or has already been used. Scan a new code from the exam page.' };
    }
    if (res.status === 403) {
      return { error: 'This exam no longer accepts a phone camera for this account. Ask the exam organizer.' };
    }
    if (res.status === 429 || res.status === 503) {
      return { error: 'Invigil is busy. Wait a moment, then tap "Start camera" again.', retry: true };
    }
    return { error: 'The phone could not be connected. Scan a new code from the exam page.' };
  }

  function showEnded(message) {
    ended = true;
    stopStream();
    preview.hidden = true;
    restartButton.hidden = true;
    startButton.hidden = true;
    facingBox.hidden = true;
    if (wakeLock) wakeLock.release().catch(() => {});
    problem('');
    say(`${message} You can close this page.`);
  }

  // A reload loses the phone's credential (kept in memory only). Claiming
  // the same code again would be refused and recorded as a second device,
  // so this tab remembers the codes it used and asks for a new one.
  const usedKey = `invigil-pair-used:${pairingToken}`;
  function usedHere() {
    try {
      return sessionStorage.getItem(usedKey) === '1';
    } catch {
      return false;
    }
  }
  function markUsed() {
    try {
      sessionStorage.setItem(usedKey, '1');
    } catch {
      // private mode: nothing to remember
    }
  }

  async function start() {
    problem('');
    if (usedHere()) {
      startButton.hidden = true;
      facingBox.hidden = true;
      problem('This page was reloaded, so the phone is no longer connected. Scan a new code from the exam page.');
      return;
    }
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      problem('The camera cannot be used here because this page is not opened over a secure https address. ' +
        'Ask the exam organizer: Invigil must be reached over https for phone cameras to work.');
      return;
    }
    startButton.disabled = true;
    say('Starting the camera…');
    try {
      await openCamera();
    } catch (e) {
      startButton.disabled = false;
      say('');
      problem(e && e.name === 'NotAllowedError'
        ? 'The camera was not allowed. Allow the camera for this site in the browser settings, then tap "Start camera" again.'
        : 'The camera could not be started. Close other apps that use the camera, then tap "Start camera" again.');
      return;
    }
    say('Connecting to your exam…');
    const claimed = await claim();
    if (!claimed.ok) {
      stopStream();
      preview.hidden = true;
      say('');
      problem(claimed.error);
      startButton.disabled = false;
      if (!claimed.retry) {
        startButton.hidden = true;
        facingBox.hidden = true;
      }
      return;
    }
    markUsed();
    startButton.hidden = true;
    await keepAwake();
    let mod;
    try {
      mod = await import(proctorUrl);
    } catch {
      problem('This page could not load completely. Scan a new code from the exam page.');
      return;
    }
    proctoring = mod.startProctoring({
      sessionId: claimed.ok.session_id,
      apiBase,
      token: claimed.ok.access_token,
      video,
      stream,
      snapshotSeconds,
      signals: false,
      onNotice: (message, level) => {
        if (level === 'ended') showEnded(message);
        else if (level === 'warning') problem(message);
      },
      onFrame: (at) => {
        lastPhoto = at;
        if (!ended) showConnected();
      },
    });
    showConnected();
  }

  startButton.addEventListener('click', start);

  restartButton.addEventListener('click', async () => {
    problem('');
    try {
      await openCamera();
      restartButton.hidden = true;
      showConnected();
    } catch {
      problem('The camera could not be started again. Close other apps that use the camera and try once more.');
    }
  });

  // Switching between the back and the front camera while running.
  facingBox.addEventListener('change', async () => {
    if (!stream || ended) return;
    try {
      await openCamera();
    } catch {
      problem('That camera could not be started. Choose the other one.');
    }
  });

  document.addEventListener('visibilitychange', async () => {
    if (document.visibilityState !== 'visible' || !proctoring || ended) return;
    if (!wakeLock) await keepAwake();
    if (stream && stream.getVideoTracks().some((t) => t.readyState === 'ended')) cameraStopped();
    else showConnected();
  });
}
