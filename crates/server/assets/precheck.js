// precheck.js: the camera check of the pre-exam page. Asks for the camera,
// shows the preview, and says in plain words what went wrong (denied, no
// camera, camera busy, page not secure). Nothing is uploaded from here.

const root = document.querySelector("[data-precheck]");

function setup() {
  const video = root.querySelector("#preview");
  const status = root.querySelector("#camera-status");
  const button = root.querySelector("#camera-start");
  const insecure = root.querySelector("#insecure");
  let stream = null;

  const say = (text, kind) => {
    status.textContent = text;
    status.dataset.state = kind;
  };

  if (!window.isSecureContext) {
    insecure.hidden = false;
    button.disabled = true;
    say("The camera cannot be used on this page (it is not a secure https page).", "error");
    return;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    button.disabled = true;
    say("This browser cannot use a camera. Use a current version of Chrome, Edge, Firefox or Safari.", "error");
    return;
  }

  async function start() {
    button.disabled = true;
    say("Asking for the camera…", "busy");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
        audio: false,
      });
      video.srcObject = stream;
      await video.play().catch(() => {});
      say("The camera works. Check that your face is well lit and inside the picture.", "ok");
      root.dataset.camera = "on";
      button.hidden = true;
    } catch (err) {
      button.disabled = false;
      button.textContent = "Try again";
      const name = err && err.name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        say("The camera was blocked. Allow the camera for this site (the camera icon in the address bar), then press Try again.", "error");
      } else if (name === "NotFoundError" || name === "OverconstrainedError") {
        say("No camera was found. Connect a camera, then press Try again.", "error");
      } else if (name === "NotReadableError" || name === "AbortError") {
        say("The camera is in use by another program. Close it (video calls, other tabs), then press Try again.", "error");
      } else {
        say("The camera could not be started. Press Try again, or reload the page.", "error");
      }
      root.dataset.camera = "error";
    }
  }

  button.addEventListener("click", start);
  // Stop the preview when leaving: the exam page opens its own camera.
  window.addEventListener("pagehide", () => {
    if (stream) stream.getTracks().forEach((t) => t.stop());
  });
  // Where the permission is already granted, show the preview at once.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions
      .query({ name: "camera" })
      .then((p) => { if (p.state === "granted") start(); })
      .catch(() => {});
  }
}

if (root) setup();
