// SnapshotClient: one sandboxed component instance per client, in a worker
// thread of its own (../worker/worker.js: the synchronous bindings block while
// they wait) or on the caller's thread, suspended while it waits
// (../caller/engine.js); the client's HTTP is performed on the caller's thread
// either way (http-host.js). Works on Node >= 20 and on Bun.
import { MessageChannel, Worker } from 'node:worker_threads';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  REDACTED, afterAttempts, describeError, describeOutcome, toGateway, toOptions, toRun, toStatus, toStringArg,
} from '../shared/convert.js';
import { MESSAGE, OPERATION } from '../shared/protocol.js';
import { serveHttp } from './http-host.js';
import {
  checkLogger, emit, outcomeFields, thrownFields,
} from './log.js';

const GENERATED = new URL('../../generated/', import.meta.url);
const WORKER = new URL('../worker/worker.js', import.meta.url);
const PRIVATE = Symbol('SnapshotClient');
const LOGGED = new Set([OPERATION.HYDRATE, OPERATION.WRITE, OPERATION.CLEAR]);

/** A call failed with one of the WIT `error` cases; `.error` is that case as a plain object. */
export class SnapshotError extends Error {
  constructor(operation, { error, attempts }) {
    super(`${operation}: ${describeError(error)}${afterAttempts(attempts)}`);
    this.name = 'SnapshotError';
    this.operation = operation;
    this.error = error;
    this.attempts = attempts;
  }
}

// Compiling the core modules is the slow part of opening a client (~tens of
// ms); compile once per process and hand the compiled modules to each worker
// (WebAssembly.Module is cloneable across threads).
let compiled;
function coreModules() {
  compiled ??= (async () => {
    let names;
    try {
      names = (await readdir(GENERATED)).filter((n) => n.endsWith('.wasm'));
    } catch {
      names = [];
    }
    if (names.length === 0) {
      throw new Error(`no transpiled component in ${GENERATED.pathname}: run \`npm run build\` first`);
    }
    const modules = {};
    for (const name of names) {
      modules[name] = await WebAssembly.compile(await readFile(new URL(name, GENERATED)));
    }
    return modules;
  })();
  compiled.catch(() => { compiled = undefined; }); // let a later open retry after a build
  return compiled;
}

async function checkPreopens(preopens) {
  if (preopens == null || typeof preopens !== 'object') {
    throw new TypeError('preopens must be an object mapping guest paths to host directories');
  }
  const out = {};
  for (const [guest, host] of Object.entries(preopens)) {
    if (!guest.startsWith('/')) throw new TypeError(`preopen guest path ${JSON.stringify(guest)} must be absolute`);
    if (typeof host !== 'string') throw new TypeError(`preopen ${guest} must map to a host directory path`);
    const abs = path.resolve(host);
    if (!(await stat(abs)).isDirectory()) throw new TypeError(`preopen ${guest}: ${abs} is not a directory`);
    out[guest] = abs;
  }
  return out;
}

function checkAuthorities(list) {
  if (list == null) return undefined;
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' && /^[^/@?#\s]+$/.test(a))) {
    throw new TypeError('allowedAuthorities must be an array of "host" or "host:port" strings');
  }
  return [...list];
}

// Workers inherit the parent's execArgv; `--input-type` (as in `node
// --input-type=module -e …`) makes Node refuse the worker's file entry point.
function workerExecArgv() {
  const out = [];
  for (let i = 0; i < process.execArgv.length; i += 1) {
    const arg = process.execArgv[i];
    if (arg === '--input-type') i += 1;
    else if (!arg.startsWith('--input-type=')) out.push(arg);
  }
  return out;
}

// Set by SnapshotClient's static block; see openPerCallClient.
let callWith;
let isClosed;
export { callWith, isClosed };

export class SnapshotClient {
  #worker;
  #http;
  #logger;
  #pending = new Map();
  #nextId = 1;
  #closed = null; // the Error later calls reject with, once the client is unusable

  /** Use `SnapshotClient.open()`. */
  constructor(key, worker, httpHost, logger) {
    if (key !== PRIVATE) throw new TypeError('use SnapshotClient.open()');
    this.#worker = worker;
    this.#http = httpHost;
    this.#logger = logger;
    worker.on('message', (msg) => this.#settle(msg));
    worker.on('error', (e) => this.#fail(new Error(`snapshot worker crashed: ${e?.message ?? e}`)));
    worker.on('exit', (code) => this.#fail(new Error(`snapshot worker exited (code ${code})`)));
    worker.unref(); // an idle client never keeps the process alive
  }

  static async open({ preopens = {}, allowedAuthorities, logger, thread } = {}) {
    return start({
      preopens: await checkPreopens(preopens),
      allowedAuthorities: checkAuthorities(allowedAuthorities),
      thread: checkThread(thread),
    }, checkLogger(logger));
  }

  /** GET the latest completed snapshot into `sessionFile`. Rejects with `SnapshotError`. */
  async hydrate(gateway, sessionFile, options) {
    return this.#run(OPERATION.HYDRATE, () => {
      const g = toGateway(gateway);
      return { args: [g, toStringArg('sessionFile', sessionFile), toOptions(options)], token: g.token };
    });
  }

  /** POST `sessionFile` as the snapshot of a finished run. Resolves with the write outcome, never a `SnapshotError`. */
  async write(gatewayUrl, run, sessionFile, status, options) {
    return this.#run(OPERATION.WRITE, () => {
      const r = toRun(run);
      const args = [toStringArg('gatewayUrl', gatewayUrl), r, toStringArg('sessionFile', sessionFile), toStatus(status), toOptions(options)];
      return { args, token: r?.token };
    });
  }

  /** DELETE every snapshot of the conversation. Resolves with the clear outcome. */
  async clear(gateway, options) {
    return this.#run(OPERATION.CLEAR, () => {
      const g = toGateway(gateway);
      return { args: [g, toOptions(options)], token: g.token };
    });
  }

  /** `{ runId, token }` from a job payload's `runId` / `runJobToken`, or null. */
  async runBindingFromPayload(payloadJson) {
    return this.#run(OPERATION.RUN_BINDING_FROM_PAYLOAD, () => ({ args: [toStringArg('payloadJson', payloadJson)] }));
  }

  /** Stops the worker. Calls still in flight reject. Idempotent. */
  async close() {
    this.#fail(new Error('SnapshotClient is closed'));
    await this.#worker.terminate();
  }

  // The drop-in functions' door (see drop-in.js): a call with its own
  // logger whose `build` may also return the call's own preopens (honoured by
  // a client from openPerCallClient only). Not reachable from the package's
  // public API.
  static {
    callWith = (client, op, build, context) => client.#run(op, build, context);
    isClosed = (client) => client.#closed !== null;
  }

  // Converts the arguments (`build` may throw a TypeError), makes the call,
  // and logs one record for a hydrate, write or clear, however it ends.
  async #run(op, build, { logger = this.#logger } = {}) {
    const t0 = performance.now();
    let token;
    try {
      const call = build();
      token = call.token;
      const outcome = await this.#call(op, call.args, token, call.preopens);
      if (logger && LOGGED.has(op)) emit(logger, outcomeFields(op, outcome, performance.now() - t0), describeOutcome(outcome));
      return outcome;
    } catch (e) {
      if (logger && LOGGED.has(op)) {
        const ms = performance.now() - t0;
        emit(logger, e instanceof SnapshotError ? outcomeFields(op, { kind: 'failed', error: e.error, attempts: e.attempts }, ms) : thrownFields(op, e, ms, token));
      }
      throw e;
    }
  }

  #call(op, args, token, preopens) {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { op, token, resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref(); // keep the process alive while a call runs
      this.#worker.postMessage(preopens ? { id, op, args, preopens } : { id, op, args });
    });
  }

  #settle({ id, ok, err, trap }) {
    const call = this.#pending.get(id);
    if (!call) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (err) call.reject(new SnapshotError(call.op, err));
    else if (trap) {
      // Not expected by the contract; the worker has already dropped the
      // instance. Redact in case host-side text echoed a header.
      const text = call.token ? trap.replaceAll(call.token, REDACTED) : trap;
      call.reject(new Error(`${call.op}: the component trapped: ${text}`));
    } else call.resolve(ok);
  }

  #fail(error) {
    this.#http.close(); // no connection outlives the client
    this.#closed ??= error;
    for (const { reject } of this.#pending.values()) reject(this.#closed);
    this.#pending.clear();
  }
}

/**
 * A client whose worker sees no directory between calls; each call made with
 * `callWith(client, op, build, { preopens })` sees only the directories it
 * brings. Internal: the drop-in functions share one such client.
 */
export function openPerCallClient() {
  return start({ preopens: {}, perCallPreopens: true, thread: checkThread() }, null);
}

/**
 * Where the component runs when the caller does not say: on Bun, on the
 * caller's thread (Bun has JSPI, and a warm small call there costs about a
 * third less than through a worker: bench/README.md); on Node, in a worker
 * (Node 20 has no JSPI, and its worker path is the faster one).
 */
const DEFAULT_THREAD = typeof globalThis.Bun !== 'undefined' ? 'caller' : 'worker';

/**
 * `thread`: 'worker' (the component runs in a worker thread of its own) or
 * 'caller' (on the caller's thread, suspended while it waits;
 * ../caller/engine.js). TRANSCRIPT_SNAPSHOT_THREAD sets the default.
 */
function checkThread(thread) {
  const t = thread ?? process.env.TRANSCRIPT_SNAPSHOT_THREAD ?? DEFAULT_THREAD;
  if (t !== 'worker' && t !== 'caller') throw new TypeError("thread must be 'worker' or 'caller'");
  return t;
}

async function start(sandbox, logger) {
  if (sandbox.thread === 'caller') {
    const { CallerThread } = await import('../caller/engine.js');
    const engine = await CallerThread.start(sandbox);
    return new SnapshotClient(PRIVATE, engine, engine.http, logger);
  }
  // The worker's link to the HTTP performed on this thread: a port for the
  // messages, and a word of shared memory to wake it when it is blocked.
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const workerData = {
    generatedUrl: new URL('transcript_snapshot.js', GENERATED).href,
    modules: await coreModules(),
    ...sandbox,
    httpPort: port2,
    signal,
  };
  // A small young generation: jco allocates a buffer per host call that
  // carries bytes, and V8's default semi-space lets those pile up to tens of
  // MiB on a 64 MiB transfer; 1 MiB semi-spaces keep the worker's memory flat.
  const resourceLimits = { maxYoungGenerationSizeMb: 3 };
  const worker = new Worker(WORKER, {
    workerData, transferList: [port2], execArgv: workerExecArgv(), resourceLimits,
  });
  const listeners = {};
  try {
    await new Promise((resolve, reject) => {
      listeners.message = (m) => (m?.type === MESSAGE.READY ? resolve() : reject(new Error('unexpected worker message')));
      listeners.error = reject;
      listeners.exit = (code) => reject(new Error(`snapshot worker exited during start (code ${code})`));
      for (const [event, fn] of Object.entries(listeners)) worker.once(event, fn);
    });
  } catch (e) {
    port1.close();
    await worker.terminate();
    throw e;
  } finally {
    // Only our own: Worker keeps internal listeners (removeAllListeners would break messaging).
    for (const [event, fn] of Object.entries(listeners)) worker.off(event, fn);
  }
  return new SnapshotClient(PRIVATE, worker, serveHttp(port1, signal), logger);
}
