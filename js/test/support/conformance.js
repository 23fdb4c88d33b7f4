// Drives the shared conformance suite through the public API: the
// `conformance` program (host-tests) sets up each case's sandbox and scripted
// gateway and judges the outcome; this file only makes the call and turns the
// result into the canonical JSON described in host-tests/cases/README.md.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SnapshotClient, SnapshotError } from '@lobu/transcript-snapshot';
import { targetDir } from '../../scripts/target-dir.mjs';

export const CONFORMANCE = process.env.CONFORMANCE_BIN ?? path.join(targetDir, 'debug/conformance');

/** Every case that applies to jco (`hosts` absent or listing `jco`). */
export function jcoCases() {
  if (!existsSync(CONFORMANCE)) {
    throw new Error(`${CONFORMANCE} not found: run \`cargo build -p host-tests --bin conformance\` at the repo root (or set CONFORMANCE_BIN)`);
  }
  const text = execFileSync(CONFORMANCE, ['list'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const cases = JSON.parse(text, (key, v) => {
    // JSON.parse would silently round a u64 above 2^53; refuse instead of testing the wrong value.
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      throw new Error(`a case uses the integer ${v} (${key}), beyond what this runner can pass exactly`);
    }
    return v;
  });
  return cases.filter((c) => !c.hosts || c.hosts.includes('jco'));
}

// ---- canonical JSON ----------------------------------------------------------

function withPayload(name, payload) {
  return { [name]: payload };
}

export function canonicalError(e) {
  switch (e.kind) {
    case 'invalid-input': return withPayload(e.kind, e.message);
    case 'not-preopened': return withPayload(e.kind, e.path);
    case 'http-status': return withPayload(e.kind, e.status);
    case 'transport': return withPayload(e.kind, { kind: e.transport, detail: e.detail });
    case 'timeout': return withPayload(e.kind, e.timeout);
    case 'length-mismatch': return withPayload(e.kind, { expected: e.expected, received: e.received });
    case 'too-large': return withPayload(e.kind, { size: e.size, limit: e.limit });
    case 'filesystem': return withPayload(e.kind, { operation: e.operation, code: e.code });
    case 'invalid-utf8': return withPayload(e.kind, e.offset);
    case 'denied':
    case 'file-changed':
    case 'digest-mismatch': return e.kind;
    default: throw new Error(`unknown error kind ${e.kind}`);
  }
}

/** The WIT `failure` record. */
export const canonicalFailure = (f) => ({ error: canonicalError(f.error), attempts: f.attempts });

/** A run binding (`option<run-binding>`: null for `none`). */
export const canonicalBinding = (b) => b && { 'run-id': b.runId, token: b.token };

export function canonicalHydrate(o) {
  switch (o.kind) {
    case 'hydrated': return { hydrated: { bytes: o.bytes, attempts: o.attempts } };
    case 'no-snapshot':
    case 'up-to-date': return { [o.kind]: o.attempts };
    default: throw new Error(`unknown hydrate outcome ${o.kind}`);
  }
}

export function canonicalWrite(o) {
  switch (o.kind) {
    case 'stored': return { stored: { bytes: o.bytes, status: o.status, attempts: o.attempts } };
    case 'duplicate': return { duplicate: o.attempts };
    case 'diverged': return { diverged: { 'latest-run-id': o.latestRunId, attempts: o.attempts } };
    case 'skipped': return { skipped: o.reason };
    case 'too-large': return { 'too-large': { size: o.size, limit: o.limit } };
    case 'failed': return { failed: canonicalFailure(o) };
    default: throw new Error(`unknown write outcome ${o.kind}`);
  }
}

export function canonicalClear(o) {
  if (o.kind === 'cleared') return { cleared: { status: o.status, deleted: o.deleted, attempts: o.attempts } };
  return { failed: canonicalFailure(o) };
}

/** `result` functions: a SnapshotError becomes `{"err": …}` (shaped by `err`);
 * anything else is a harness failure. */
async function result(promise, ok, err) {
  try {
    return { ok: ok(await promise) };
  } catch (e) {
    if (e instanceof SnapshotError) return { err: err(e) };
    throw e;
  }
}

/** JSON with bigints (u64 above 2^53) written as exact integers. */
export function stringify(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `\u0000big${v}` : v))
    .replace(/"\\u0000big(\d+)"/g, '$1');
}

const camel = (k) => k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
// Values pass through as the case gives them (numbers, and booleans such as `use-validators`).
const options = (o = {}) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

/** Makes the case's call through the public API; returns the canonical outcome. */
export async function callCase(client, call, urls) {
  const url = call.url?.replaceAll('{gateway}', urls.gateway).replaceAll('{closed}', urls.closed);
  switch (call.op) {
    case 'hydrate':
      return result(client.hydrate({ url, token: call.token }, call['session-file'], options(call.options)),
        canonicalHydrate, canonicalFailure);
    case 'write': {
      const run = call.run && { runId: call.run['run-id'], token: call.run.token };
      return canonicalWrite(await client.write(url, run, call['session-file'], call.status, options(call.options)));
    }
    case 'clear':
      return canonicalClear(await client.clear({ url, token: call.token }, options(call.options)));
    case 'run-binding-from-payload':
      return result(client.runBindingFromPayload(call.payload),
        canonicalBinding, (e) => canonicalError(e.error));
    default:
      throw new Error(`unknown op ${call.op}`);
  }
}

/**
 * Sandboxes for cases: a directory preopened at /workspace and a client bound
 * to it. Opening a client costs ~200 ms of CPU (worker thread, shim, instance),
 * more than most cases take, so each slot's client serves many cases in turn;
 * that is also how a worker uses it. The directory is emptied between cases.
 */
export class SandboxPool {
  #free = [];
  #all = new Set();

  async acquire() {
    const slot = this.#free.pop() ?? { dir: await mkdtemp(path.join(tmpdir(), 'ts-jco-case-')) };
    this.#all.add(slot);
    slot.client ??= await SnapshotClient.open({ preopens: { '/workspace': slot.dir } });
    return slot;
  }

  async release(slot, healthy) {
    await rm(slot.dir, { recursive: true, force: true });
    await mkdir(slot.dir);
    if (!healthy) {
      // A worker that crashed or a call that trapped: start the next case afresh.
      await slot.client.close();
      slot.client = undefined;
    }
    this.#free.push(slot);
  }

  async close() {
    for (const slot of this.#all) {
      await slot.client?.close();
      await rm(slot.dir, { recursive: true, force: true });
    }
  }
}

/** Runs one case end to end in `slot`; resolves with the outcome and the program's problems. */
export async function runCase(c, { client, dir }) {
  const child = spawn(CONFORMANCE, ['serve', c.name, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  try {
    const first = await lines.next();
    if (first.done) throw new Error('conformance serve exited before printing its gateway');
    const outcome = await callCase(client, c.call, JSON.parse(first.value));
    child.stdin.end(`${stringify(outcome)}\n`);
    const verdict = await lines.next();
    if (verdict.done) throw new Error('conformance serve exited without a verdict');
    return { outcome, problems: JSON.parse(verdict.value).problems };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  }
}
