// Starts a real `invigil demo` on a free loopback port with a temporary data
// directory, reads the demo accounts it prints, and reads the mail outbox
// with `invigil admin outbox --json`.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { stopProcess, track } from './process.mjs';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');

/** The invigil binary: INVIGIL_BIN, else the debug build of the workspace. */
export function binary() {
  if (process.env.INVIGIL_BIN) return process.env.INVIGIL_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(repo, 'target');
  return join(target, 'debug', 'invigil');
}

async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** A running demo server: { url, accounts: Map(email -> password), token(email), outbox(), stop() }. */
export async function startDemo() {
  const dataDir = await mkdtemp(join(tmpdir(), 'invigil-browser-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const env = { ...process.env, INVIGIL_LOG: 'warn' };
  delete env.DATABASE_URL;
  const child = track(
    spawn(binary(), ['demo', '--addr', addr, '--data-dir', dataDir], {
      cwd: dataDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const started = await new Promise((ok) => {
    const timer = setTimeout(() => ok(false), 60_000);
    const check = () => {
      if (out.includes('Invigil is listening on')) {
        clearTimeout(timer);
        ok(true);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', () => { clearTimeout(timer); ok(false); });
  });
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`invigil demo did not start:\n${out}\n${err}`);
  }
  const accounts = new Map();
  for (const line of out.split('\n')) {
    const m = line.match(/^\s+(\S+@\S+)\s+(\S+)\s+/);
    if (m) accounts.set(m[1], m[2]);
  }
  return {
    url: `http://${addr}`,
    accounts,
    log: () => out + err,
    /** An API bearer token of a demo account (for checks, never for the pages). */
    async token(email) {
      const res = await fetch(`http://${addr}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password: accounts.get(email) }),
      });
      if (res.status !== 200) throw new Error(`login of ${email}: ${res.status} ${await res.text()}`);
      return (await res.json()).access_token;
    },
    async outbox() {
      const { stdout } = await run(binary(), ['admin', 'outbox', '--json', '--data-dir', dataDir], {
        cwd: dataDir,
        env,
      });
      return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    },
    async stop() {
      await stopProcess(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
