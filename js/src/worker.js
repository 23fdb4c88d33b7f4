// The worker thread that owns one component instance. The component is
// synchronous: while it waits for the network it blocks its thread (in
// Atomics.wait, see wasi/channel.js), so it must not run on the caller's
// thread, whose event loop has to keep going (it performs the HTTP, see
// http-host.js, and may even serve the gateway).
//
// Calls arrive one at a time as { id, op, args } and are answered with
// { id, ok } | { id, err } (a typed WIT error) | { id, trap } (anything else).
import { parentPort, workerData } from 'node:worker_threads';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import {
  fromClear, fromError, fromFailure, fromHydrate, fromRunBinding, fromWrite,
} from './convert.js';
import { Channel, httpImports } from './wasi/index.js';

const { generatedUrl, modules, preopens, allowedAuthorities, httpPort, signal } = workerData;
const { instantiate } = await import(generatedUrl);
const channel = new Channel(httpPort, signal);

// What the component may import, and from whom. The shim keeps what runs in
// this thread and hands out no stream or pollable: files (through the
// preopens only), insecure random (retry jitter) and the wall clock. HTTP,
// its streams and pollables, and the clock its timeouts poll are ours
// (wasi/). Everything else the shim could offer (sockets, environment, stdio,
// exit) is withheld, so a build that started importing one would fail to
// instantiate, loudly, instead of gaining access.
const FROM_SHIM = [
  'wasi:clocks/wall-clock',
  'wasi:filesystem/preopens',
  'wasi:filesystem/types',
  'wasi:random/insecure',
];

async function instantiateComponent() {
  // A fresh shim per instance: `sandbox.preopens` gives this instance its own
  // filesystem view (the default shim's preopens are process-global and would
  // expose the whole host filesystem); `env: {}` gives it no environment.
  const shim = new WASIShim({ sandbox: { preopens, env: {}, args: [] } }).getImportObject();
  const imports = {
    ...Object.fromEntries(FROM_SHIM.map((name) => [name, shim[name]])),
    ...httpImports(channel, { allowedAuthorities }),
  };
  const root = await instantiate((name) => modules[name], imports);
  return root.snapshot;
}

let api = await instantiateComponent();
let queue = Promise.resolve();

function isComponentError(e) {
  return e instanceof Error && e.constructor?.name === 'ComponentError' && Object.hasOwn(e, 'payload');
}

// hydrate fails with a `failure` record (error + attempts), run-binding-from-payload
// with a bare `error` (it sends nothing); both reach the caller as { error, attempts }.
const FAILURE = {
  hydrate: fromFailure,
  runBindingFromPayload: (e) => ({ error: fromError(e), attempts: 0 }),
};

const OPS = {
  hydrate: (gateway, sessionFile, options) => fromHydrate(api.hydrate(gateway, sessionFile, options)),
  write: (url, run, sessionFile, status, options) => fromWrite(api.write(url, run, sessionFile, status, options)),
  clear: (gateway, options) => fromClear(api.clear(gateway, options)),
  runBindingFromPayload: (json) => fromRunBinding(api.runBindingFromPayload(json)),
};

async function handle({ id, op, args }) {
  try {
    // A trap leaves the instance unusable; the next call gets a new one.
    api ??= await instantiateComponent();
    parentPort.postMessage({ id, ok: OPS[op](...args) });
  } catch (e) {
    if (isComponentError(e)) {
      parentPort.postMessage({ id, err: FAILURE[op](e.payload) });
    } else {
      api = null;
      parentPort.postMessage({ id, trap: String(e?.stack ?? e) });
    }
  } finally {
    // A finished call has dropped every exchange; a trapped one may not have.
    channel.abortAll();
  }
}

// Chained so calls run strictly in arrival order, even across a re-instantiation.
parentPort.on('message', (msg) => {
  queue = queue.then(() => handle(msg));
});

parentPort.postMessage({ ready: true });
