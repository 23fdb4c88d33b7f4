// The worker thread that owns one component instance. It exists because the
// preview2 shim performs wasi:http by parking the calling thread in
// Atomics.wait: run on the main thread, every call would freeze the host's event
// loop (and deadlock against a gateway served by that same loop).
//
// Calls arrive one at a time as { id, op, args } and are answered with
// { id, ok } | { id, err } (a typed WIT error) | { id, trap } (anything else).
import { parentPort, workerData } from 'node:worker_threads';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import {
  fromClear, fromError, fromFailure, fromHydrate, fromRunBinding, fromWrite,
} from './convert.js';

const { generatedUrl, modules, preopens, allowedAuthorities } = workerData;
const { instantiate } = await import(generatedUrl);

// The interfaces the component may import. Everything else the shim could
// offer (sockets, environment, stdio, exit) is withheld, so a build that started
// importing one would fail to instantiate, loudly, instead of gaining access.
const GRANTED = [
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:filesystem/preopens',
  'wasi:filesystem/types',
  'wasi:http/outgoing-handler',
  'wasi:http/types',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:random/insecure', // backoff jitter; randomness grants no access
];

const DEFAULT_PORT = { HTTP: 80, HTTPS: 443 };

function splitAuthority(authority) {
  const i = authority.lastIndexOf(':');
  if (i < 0 || authority.endsWith(']')) return [authority.toLowerCase(), undefined];
  return [authority.slice(0, i).toLowerCase(), Number(authority.slice(i + 1))];
}

// Wraps the shim's outgoing handler so a request to any other authority fails
// with the wasi:http error the component maps to its typed `denied`. The check
// runs before the shim opens a connection, so the other host receives nothing.
function allowList(handler, allowed) {
  const entries = allowed.map(splitAuthority);
  return {
    ...handler,
    handle(request, options) {
      const scheme = request.scheme()?.tag;
      const [host, port] = splitAuthority(request.authority() ?? '');
      const effective = port ?? DEFAULT_PORT[scheme];
      const ok = entries.some(([h, p]) => h === host && (p ?? DEFAULT_PORT[scheme]) === effective);
      if (!ok) throw { tag: 'HTTP-request-denied' };
      return handler.handle(request, options);
    },
  };
}

// preview2-shim 0.26.1 answers `http-error-code(io-error)` for a failed
// response-body read with the raw Node error ({ code: 'ECONNRESET', message:
// 'aborted' }) instead of an `option<error-code>`; jco cannot lower that and the
// guest traps on an ordinary dropped connection. Translate it into the
// wasi:http code it stands for; leave well-formed answers alone.
const NODE_ERROR_CODES = {
  ECONNRESET: 'connection-terminated',
  EPIPE: 'connection-terminated',
  ERR_STREAM_PREMATURE_CLOSE: 'connection-terminated',
  ECONNREFUSED: 'connection-refused',
  ETIMEDOUT: 'connection-read-timeout',
};

function wellTypedErrorCode(httpErrorCode) {
  return (err) => {
    const code = httpErrorCode(err);
    if (code == null || typeof code.tag === 'string') return code;
    const tag = NODE_ERROR_CODES[code.code];
    return tag ? { tag } : { tag: 'internal-error', val: String(code.message ?? code) };
  };
}

async function instantiateComponent() {
  // A fresh shim per instance: `sandbox.preopens` gives this instance its own
  // filesystem view (the default shim's preopens are process-global and would
  // expose the whole host filesystem); `env: {}` gives it no environment.
  const shim = new WASIShim({ sandbox: { preopens, env: {}, args: [] } });
  const all = shim.getImportObject();
  const imports = Object.fromEntries(GRANTED.map((name) => [name, all[name]]));
  const types = imports['wasi:http/types'];
  imports['wasi:http/types'] = { ...types, httpErrorCode: wellTypedErrorCode(types.httpErrorCode) };
  if (allowedAuthorities) {
    imports['wasi:http/outgoing-handler'] = allowList(imports['wasi:http/outgoing-handler'], allowedAuthorities);
  }
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
  }
}

// Chained so calls run strictly in arrival order, even across a re-instantiation.
parentPort.on('message', (msg) => {
  queue = queue.then(() => handle(msg));
});

parentPort.postMessage({ ready: true });
