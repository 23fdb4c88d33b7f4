// Drop-ins for the reference client (@lobu/worker 7.2.0's
// transcript-snapshot.ts): same names, option names and results, so
// migrating is a change of import. They take host paths and share one
// component instance: one lazily opened client whose worker sees no directory
// between calls, each call bringing only its session file's directory as its
// one preopen (the component looks its preopens up at the start of every
// call). So there is one compiled component and one worker however many
// session directories a process uses, and no worker start per call; the
// price is that drop-in calls run one at a time, as a SnapshotClient's do.
import { mkdirSync, rmdirSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import {
  SnapshotError, callWith, isClosed, openPerCallClient,
} from './client.js';
import {
  afterAttempts, describeError, toGateway, toOptions, toRun, toStatus, toStringArg,
} from '../shared/convert.js';
import { OPERATION } from '../shared/protocol.js';
import { checkLogger, emit, thrownFields } from './log.js';

/** The guest's name for the session file's directory. */
const GUEST_DIR = '/session';

let shared = null;

async function call(op, build, logger) {
  if (shared === null) {
    const opening = openPerCallClient();
    shared = opening;
    opening.catch(() => { if (shared === opening) shared = null; }); // the next call tries again
  }
  const opening = shared;
  let client;
  try {
    client = await opening;
  } catch (e) {
    emit(logger, thrownFields(op, e, 0)); // still one record per call
    throw e;
  }
  try {
    return await callWith(client, op, build, { logger });
  } finally {
    // A worker that crashed or was killed is replaced by the next call.
    if (isClosed(client) && shared === opening) shared = null;
  }
}

/** A host path → the directory to preopen and the session file's guest path. */
function locate(sessionFile) {
  const file = path.resolve(toStringArg('sessionFile', sessionFile));
  return { dir: path.dirname(file), guestFile: `${GUEST_DIR}/${path.basename(file)}` };
}

// Hydrates in flight per directory, so one that made the directory does not
// remove it from under another.
const busy = new Map();

/** Removes the directories a hydrate created, deepest first, as long as they are empty. */
function removeCreated(dir, topmost) {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty any more, or gone: leave it
    }
    if (d === topmost || d === path.dirname(d)) return;
  }
}

/** The reference's message ("transcript hydrate failed: 500 Internal Server Error"), with the component's detail. */
function hydrateMessage({ error, attempts }) {
  const what = error.kind === 'http-status'
    ? `${error.status} ${STATUS_CODES[error.status] ?? ''}`.trim()
    : describeError(error);
  return `transcript hydrate failed: ${what}${afterAttempts(attempts)}`;
}

/**
 * Pulls the latest completed snapshot into `sessionFile` (a host path),
 * creating its directory as the reference does. Resolves `true` when the file
 * now holds the latest snapshot (hydrated, or already up to date: the
 * reference's caller only asks whether there is one to continue from),
 * `false` when the gateway has none (the file and its directory untouched).
 * Rejects with a SnapshotError when it could not pull; the old file is intact.
 */
export async function hydrateFromSnapshot(opts) {
  const { gatewayUrl, workerToken, sessionFile, logger, options } = opts ?? {};
  const log = checkLogger(logger);
  let dir;
  let created; // the topmost directory this call made, if any
  let holdsSnapshot = false;
  try {
    const outcome = await call(OPERATION.HYDRATE, () => {
      const gateway = toGateway({ url: gatewayUrl, token: workerToken });
      const at = locate(sessionFile);
      const opts2 = toOptions(options);
      dir = at.dir;
      busy.set(dir, (busy.get(dir) ?? 0) + 1);
      // The directory must exist to be preopened. The reference makes it
      // only once it has a snapshot; so a call that ends without one removes
      // what it made (below), and the directory looks untouched.
      created = mkdirSync(dir, { recursive: true });
      return { args: [gateway, at.guestFile, opts2], token: gateway.token, preopens: { [GUEST_DIR]: dir } };
    }, log);
    holdsSnapshot = outcome.kind === 'hydrated' || outcome.kind === 'up-to-date';
    return holdsSnapshot;
  } catch (e) {
    if (e instanceof SnapshotError) e.message = hydrateMessage(e);
    throw e;
  } finally {
    if (dir !== undefined) {
      const left = busy.get(dir) - 1;
      if (left === 0) busy.delete(dir);
      else busy.set(dir, left);
      if (created !== undefined && !holdsSnapshot && left === 0) removeCreated(dir, created);
    }
  }
}

/**
 * Sends `sessionFile` (a host path) as the snapshot of run `runId`, with
 * `workerToken` (the run's token) as bearer. Only a `completed` run with a
 * non-empty file is sent; a 409 is the benign duplicate. Never rejects: every
 * outcome, failures included, goes to `logger`. A diverged write (412: another
 * pod stored a newer snapshot since this file's version) is logged at warn and
 * resolves too: the reference's caller has no way to act on it, and the
 * other pod's snapshot stays the latest.
 */
export async function writeSnapshot(opts) {
  try {
    const {
      gatewayUrl, workerToken, sessionFile, terminalStatus, runId, logger, options,
    } = opts ?? {};
    await call(OPERATION.WRITE, () => {
      const at = locate(sessionFile);
      // No token or no run id: the worker has no run binding, and nothing is sent (skipped).
      const run = workerToken == null || runId == null ? null : toRun({ runId, token: workerToken });
      const args = [toStringArg('gatewayUrl', gatewayUrl), run, at.guestFile, toStatus(terminalStatus), toOptions(options)];
      return { args, token: run?.token, preopens: { [GUEST_DIR]: at.dir } };
    }, logger ?? null); // unchecked: a logger that cannot log must not stop the write (emit absorbs it)
  } catch {
    // Logged already; the reference's caller runs this in a `finally` and must never see a throw.
  }
}

/**
 * Deletes every snapshot of the worker's conversation (session reset).
 * Best effort, as in the reference: never rejects; failures are logged.
 */
export async function clearSnapshots(opts) {
  try {
    const { gatewayUrl, workerToken, logger, options } = opts ?? {};
    await call(OPERATION.CLEAR, () => {
      const gateway = toGateway({ url: gatewayUrl, token: workerToken });
      return { args: [gateway, toOptions(options)], token: gateway.token }; // no file: no preopen
    }, logger ?? null);
  } catch {
    // Logged already.
  }
}
