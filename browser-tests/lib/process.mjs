// Child processes of a test file (the demo server, the OpenID Provider) and
// bounded waits, so that no test can hang the run: every child is killed
// when the file's process exits normally (also on --test-force-exit; a
// SIGTERM from scripts/browser-tests' `timeout` reaches the children through
// the process group instead), stopping an already-ended child returns at
// once, and a wait with no timeout of its own gets one.

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Registers `child` to be killed when this process exits; returns it. */
export function track(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has ended (at once if it already has). */
export async function stopProcess(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `promise`, or a rejection naming `what` after `ms` milliseconds. */
export async function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
