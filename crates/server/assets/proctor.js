// proctor.js: proctoring signals of a running exam session, for a human
// reviewer (never an automatic penalty). Loaded by dynamic import() on
// proctored exams only (the exam page) and by the phone page.
//
//   const p = startProctoring({sessionId, apiBase, csrf, video, snapshotSeconds,
//     requireFullscreen, faceApiUrl, faceModelUrl, faceWeightsUrl, onNotice});
//   await p.flush(); await p.stop();
//
// - Authentication: `csrf` (the exam page: cookie + `X-CSRF-Token`, apiBase
//   `/web-api/v1`, source LAPTOP) or `token` (the phone: `Authorization:
//   Bearer`, apiBase `/api/v1`, source MOBILE).
// - Signals (LAPTOP, unless `signals: false`): tab hidden -> TAB_SWITCH,
//   window left while the tab stays visible -> WINDOW_BLUR, copy/cut/paste ->
//   COPY_PASTE, leaving full screen when required -> FULLSCREEN_EXIT (with a
//   button to go back), PrintScreen -> SCREENSHOT_ATTEMPT, offline/online ->
//   NETWORK_OFFLINE / NETWORK_ONLINE. Events are queued (and kept in
//   localStorage, so a reload or a lost connection loses none), sent in
//   batches every few seconds and on pagehide (keepalive), idempotent by
//   client_event_id. Heartbeats every 15 seconds.
// - Camera: `video` shows the camera (getUserMedia unless it already plays a
//   stream, or `stream` is given); a JPEG every `snapshotSeconds` goes to
//   `POST {apiBase}/sessions/{s}/frames`.
// - Face check (when faceApiUrl is given): face-api's tiny face detector on
//   this device, about once a second; no face, or more than one, for 3
//   seconds in a row -> one NO_FACE_DETECTED / MULTIPLE_FACES event per
//   episode. Nothing of the video leaves the device for this check.
// - Problems (no camera, the face check cannot load, the session ended) are
//   told through onNotice(message, level) with level 'info', 'warning' or
//   'ended', and recorded as an OTHER event where it helps the reviewer. No
//   failure here ever throws into the exam page.

const FLUSH_MS = 5000;
const HEARTBEAT_MS = 15000;
const FACE_MS = 1000;
const FACE_EPISODE_MS = 3000;
const FIRST_SNAPSHOT_MS = 2000;
const MAX_BATCH = 200;
const MAX_QUEUE = 2000;
const SNAPSHOT_WIDTH = 640;

function randomId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function now() {
  return new Date().toISOString();
}

export function startProctoring(options) {
  const {
    sessionId,
    apiBase = '/web-api/v1',
    csrf,
    token,
    video: givenVideo,
    stream: givenStream,
    snapshotSeconds = 30,
    requireFullscreen = false,
    faceApiUrl,
    faceModelUrl,
    faceWeightsUrl,
    signals = !token,
    fullscreenHost,
    onNotice = () => {},
    onFrame = () => {},
    onEnded = () => {},
  } = options || {};
  const source = token ? 'MOBILE' : 'LAPTOP';
  const base = `${apiBase}/sessions/${encodeURIComponent(sessionId)}`;
  const storeKey = `invigil-proctor:${sessionId}:${source}`;
  const cleanups = [];
  const timers = [];
  let stopped = false;
  let ended = false;
  let ownStream = null;
  let sending = null;

  const notice = (message, level = 'info') => {
    try {
      onNotice(message, level);
    } catch (e) {
      console.warn('proctoring: onNotice failed', e);
    }
  };

  // ---- requests -----------------------------------------------------------

  function headers(extra) {
    const h = { ...extra };
    if (token) h.Authorization = `Bearer ${token}`;
    else if (csrf) h['X-CSRF-Token'] = csrf;
    return h;
  }

  function request(path, init = {}) {
    return fetch(`${base}${path}`, {
      credentials: 'same-origin',
      cache: 'no-store',
      ...init,
      headers: headers(init.headers),
    });
  }

  async function problemCode(res) {
    try {
      const body = await res.clone().json();
      return body && (body.code || body.type);
    } catch {
      return undefined;
    }
  }

  // The answer says the session is over (or the credential is gone): stop.
  async function checkEnd(res) {
    if (res.status === 409) {
      const code = await problemCode(res);
      if (code === 'session_closed' || String(code).endsWith('session_closed')) {
        end('The exam session has ended. Proctoring has stopped.');
        return true;
      }
    }
    if (res.status === 401 && token) {
      end('This phone is no longer connected to the exam (another phone may have been paired). Scan a new code from the exam page.');
      return true;
    }
    return false;
  }

  // ---- the event queue ----------------------------------------------------

  let queue = [];
  try {
    const kept = JSON.parse(localStorage.getItem(storeKey) || '[]');
    if (Array.isArray(kept)) queue = kept;
  } catch {
    queue = [];
  }

  function save() {
    try {
      if (queue.length) localStorage.setItem(storeKey, JSON.stringify(queue));
      else localStorage.removeItem(storeKey);
    } catch {
      // storage full or refused: the queue stays in memory
    }
  }

  function record(type, meta, severity) {
    if (stopped) return;
    const event = { client_event_id: randomId(), source, type, occurred_at: now() };
    if (severity) event.severity = severity;
    if (meta && Object.keys(meta).length) event.meta = meta;
    queue.push(event);
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    save();
  }

  async function sendBatch(keepalive) {
    const batch = queue.slice(0, MAX_BATCH);
    if (!batch.length) return true;
    let res;
    try {
      res = await request('/events', {
        method: 'POST',
        keepalive,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: batch }),
      });
    } catch {
      return false; // offline: the queue waits
    }
    if (res.ok || res.status === 422) {
      // 422: refused for good (e.g. a clock far off); retrying cannot help.
      if (res.status === 422) console.warn('proctoring: events refused', await res.text());
      const sent = new Set(batch.map((e) => e.client_event_id));
      queue = queue.filter((e) => !sent.has(e.client_event_id));
      save();
      return true;
    }
    await checkEnd(res);
    return false;
  }

  async function drain(keepalive) {
    // One await first: `sending` is set before this body can finish.
    await null;
    try {
      while (queue.length && !ended) {
        if (!(await sendBatch(keepalive))) break;
      }
    } finally {
      sending = null;
    }
  }

  function flush(keepalive = false) {
    if (!sending) sending = drain(keepalive);
    return sending;
  }

  async function heartbeat() {
    if (ended) return;
    try {
      const res = await request('/heartbeat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ source }),
      });
      await checkEnd(res);
    } catch {
      // offline: the watchdog on the server notices; nothing to do here
    }
  }

  // ---- signals ------------------------------------------------------------

  function on(target, type, handler, opts) {
    target.addEventListener(type, handler, opts);
    cleanups.push(() => target.removeEventListener(type, handler, opts));
  }

  let offlineSince = null;
  let fullscreenBox = null;

  function fullscreenElement() {
    return document.fullscreenElement || document.webkitFullscreenElement || null;
  }

  function showFullscreenBox(show) {
    if (!fullscreenBox) return;
    fullscreenBox.hidden = !show;
  }

  function makeFullscreenBox() {
    const box = document.createElement('div');
    box.className = 'alert info proctor-fullscreen';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', 'Full screen');
    const text = document.createElement('p');
    text.textContent = 'This exam is taken in full screen. Leaving full screen is noted for the reviewer.';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button small';
    button.textContent = 'Go to full screen';
    button.addEventListener('click', () => {
      const root = document.documentElement;
      const go = root.requestFullscreen || root.webkitRequestFullscreen;
      if (!go) {
        notice('This browser cannot show the exam in full screen.', 'warning');
        return;
      }
      Promise.resolve(go.call(root)).catch(() =>
        notice('The browser did not allow full screen. Try the button again.', 'warning'));
    });
    const p = document.createElement('p');
    p.appendChild(button);
    box.append(text, p);
    const host = fullscreenHost || document.querySelector('main') || document.body;
    host.prepend(box);
    cleanups.push(() => box.remove());
    return box;
  }

  function startSignals() {
    let blurTimer = null;
    on(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') {
        record('TAB_SWITCH', { state: 'hidden' });
        flush(true);
      } else {
        flush();
      }
    });
    on(window, 'blur', () => {
      clearTimeout(blurTimer);
      // A tab switch also blurs the window: only a blur with the tab still
      // visible (another window, a system dialog) is a WINDOW_BLUR.
      blurTimer = setTimeout(() => {
        if (document.visibilityState === 'visible' && !document.hasFocus()) {
          record('WINDOW_BLUR');
        }
      }, 300);
    });
    for (const action of ['copy', 'cut', 'paste']) {
      on(document, action, () => record('COPY_PASTE', { action }));
    }
    on(document, 'keyup', (e) => {
      if (e.key === 'PrintScreen' || e.code === 'PrintScreen') record('SCREENSHOT_ATTEMPT', { key: 'PrintScreen' });
    });
    on(window, 'offline', () => {
      offlineSince = Date.now();
      record('NETWORK_OFFLINE');
    });
    on(window, 'online', () => {
      const meta = offlineSince ? { offline_seconds: Math.round((Date.now() - offlineSince) / 1000) } : undefined;
      offlineSince = null;
      record('NETWORK_ONLINE', meta);
      flush();
      heartbeat();
    });
    if (requireFullscreen) {
      fullscreenBox = makeFullscreenBox();
      showFullscreenBox(!fullscreenElement());
      const change = () => {
        const full = !!fullscreenElement();
        if (!full && !stopped) record('FULLSCREEN_EXIT');
        showFullscreenBox(!full);
      };
      on(document, 'fullscreenchange', change);
      on(document, 'webkitfullscreenchange', change);
    }
  }

  // ---- camera and frames --------------------------------------------------

  const video = givenVideo || Object.assign(document.createElement('video'), { muted: true, playsInline: true });
  video.muted = true;
  video.playsInline = true;
  video.setAttribute('playsinline', '');

  async function startCamera() {
    if (givenStream) {
      video.srcObject = givenStream;
    } else if (!video.srcObject) {
      if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        notice('The camera cannot be used on this page (it is not opened over a secure https address). Your exam continues; the reviewer is told the camera was off.', 'warning');
        record('OTHER', { reason: 'camera_unavailable', detail: 'insecure context' });
        return false;
      }
      try {
        ownStream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      } catch (e) {
        notice('The camera could not be started (' + (e && e.name === 'NotAllowedError' ? 'permission refused' : 'no camera found or it is in use') + '). Your exam continues; allow the camera in the browser to turn it back on.', 'warning');
        record('OTHER', { reason: 'camera_unavailable', detail: String((e && e.name) || e).slice(0, 200) });
        return false;
      }
      if (stopped) {
        ownStream.getTracks().forEach((t) => t.stop());
        return false;
      }
      video.srcObject = ownStream;
      for (const track of ownStream.getVideoTracks()) {
        track.addEventListener('ended', () => {
          if (!stopped) {
            notice('The camera stopped. Your exam continues; reload the page to turn the camera back on.', 'warning');
            record('OTHER', { reason: 'camera_stopped' });
          }
        });
      }
    }
    try {
      await video.play();
    } catch {
      // autoplay of a muted video is allowed; if not, frames still come once it plays
    }
    return true;
  }

  function videoReady() {
    return video.readyState >= 2 && video.videoWidth > 0;
  }

  let snapshotting = false;
  let framesOff = false;

  async function snapshot() {
    if (snapshotting || framesOff || ended || !videoReady()) return;
    snapshotting = true;
    try {
      const scale = Math.min(1, SNAPSHOT_WIDTH / video.videoWidth);
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.7));
      if (!blob) return;
      let res;
      try {
        res = await request('/frames', { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: blob });
      } catch {
        return; // offline: the next photo will go
      }
      if (res.ok) {
        onFrame(new Date());
      } else if (!(await checkEnd(res)) && res.status === 409) {
        // proctoring turned off for this exam: no more photos
        framesOff = true;
      }
    } catch (e) {
      console.warn('proctoring: snapshot failed', e);
    } finally {
      snapshotting = false;
    }
  }

  // ---- face check ---------------------------------------------------------

  let faceapi = null;
  let faceBusy = false;
  const episodes = {
    NO_FACE_DETECTED: { since: null, reported: false },
    MULTIPLE_FACES: { since: null, reported: false },
  };

  async function loadFaceCheck() {
    const mod = await import(faceApiUrl);
    const tf = mod.tf;
    let ok = false;
    try {
      ok = await tf.setBackend('webgl');
    } catch {
      ok = false;
    }
    if (!ok) await tf.setBackend('cpu');
    await tf.ready();
    const [manifest, weights] = await Promise.all([
      fetch(faceModelUrl).then((r) => {
        if (!r.ok) throw new Error(`model manifest: HTTP ${r.status}`);
        return r.json();
      }),
      fetch(faceWeightsUrl).then((r) => {
        if (!r.ok) throw new Error(`model weights: HTTP ${r.status}`);
        return r.arrayBuffer();
      }),
    ]);
    const specs = manifest.flatMap((group) => group.weights);
    const map = tf.io.decodeWeights(weights, specs);
    mod.nets.tinyFaceDetector.loadFromWeightMap(map);
    faceapi = mod;
    return tf.getBackend();
  }

  function observe(type, present, meta) {
    const ep = episodes[type];
    const t = Date.now();
    if (!present) {
      ep.since = null;
      ep.reported = false;
      return;
    }
    if (ep.since === null) ep.since = t;
    if (!ep.reported && t - ep.since >= FACE_EPISODE_MS) {
      ep.reported = true;
      record(type, { ...meta, after_seconds: Math.round((t - ep.since) / 1000) });
    }
  }

  async function faceTick() {
    if (!faceapi || faceBusy || ended || !videoReady()) return;
    faceBusy = true;
    try {
      const found = await faceapi.detectAllFaces(
        video,
        new faceapi.TinyFaceDetectorOptions({ inputSize: 224, scoreThreshold: 0.5 }),
      );
      const faces = found.length;
      observe('NO_FACE_DETECTED', faces === 0, { faces });
      observe('MULTIPLE_FACES', faces > 1, { faces });
    } catch (e) {
      console.warn('proctoring: face check failed', e);
    } finally {
      faceBusy = false;
    }
  }

  // ---- start --------------------------------------------------------------

  function every(ms, fn) {
    timers.push(setInterval(fn, ms));
  }

  function end(message) {
    if (ended) return;
    ended = true;
    // Nothing more can be delivered for this session.
    queue = [];
    save();
    notice(message, 'ended');
    try {
      onEnded();
    } catch (e) {
      console.warn('proctoring: onEnded failed', e);
    }
    stop();
  }

  async function stop() {
    if (stopped) return sending || undefined;
    stopped = true;
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    for (const undo of cleanups.splice(0)) undo();
    if (ownStream) ownStream.getTracks().forEach((t) => t.stop());
    if (!ended) await flush();
  }

  (async () => {
    try {
      if (signals) startSignals();
      on(window, 'pagehide', () => flush(true));
      every(FLUSH_MS, () => flush());
      every(HEARTBEAT_MS, heartbeat);
      heartbeat();
      flush();
      const camera = await startCamera();
      if (camera && !stopped) {
        timers.push(setTimeout(snapshot, FIRST_SNAPSHOT_MS));
        every(Math.max(5, Number(snapshotSeconds) || 30) * 1000, snapshot);
        if (faceApiUrl && faceModelUrl && faceWeightsUrl) {
          try {
            const backend = await loadFaceCheck();
            console.info(`proctoring: face check on the ${backend} backend`);
            if (!stopped) {
              every(FACE_MS, faceTick);
              notice(`Your camera is on. A photo goes to the reviewer every ${snapshotSeconds} seconds. ` +
                'About once a second this device also checks that one face is in view; that check stays on this device.', 'info');
            }
          } catch (e) {
            console.warn('proctoring: face check unavailable', e);
            notice('The face check could not start on this device. Your exam continues; the camera photos are still sent.', 'info');
            // A technical note for the reviewer, not a sign of cheating: lowest severity.
            record('OTHER', { reason: 'face_check_unavailable', detail: String((e && e.message) || e).slice(0, 200) }, 1);
          }
        } else {
          notice(`Your camera is on. A photo goes to the reviewer every ${snapshotSeconds} seconds.`, 'info');
        }
      }
    } catch (e) {
      console.warn('proctoring: could not start', e);
    }
  })();

  return {
    flush: () => flush().catch(() => {}),
    stop: () => stop().catch(() => {}),
  };
}
