// The worker thread that owns one component instance. The component is
// synchronous: while it waits for the network it blocks its thread (in
// Atomics.wait, see channel.js), so it must not run on the caller's thread,
// whose event loop has to keep going (it performs the HTTP, see
// ../main/http-host.js, and may even serve the gateway).
//
// Calls arrive one at a time as { id, op, args, preopens? } and are answered with
// { id, ok } | { id, err } (a typed WIT error) | { id, trap } (anything else);
// ../shared/protocol.js names the messages.
import { parentPort, workerData } from 'node:worker_threads';
import { callComponent } from '../shared/component-call.js';
import { MESSAGE } from '../shared/protocol.js';
import { Channel } from './channel.js';
import { filesystemView } from './wasi/filesystem.js';
import { wasiImports } from './wasi/index.js';

const {
  generatedUrl, modules, preopens, perCallPreopens, allowedAuthorities, httpPort, signal,
} = workerData;
const { instantiate } = await import(generatedUrl);
const channel = new Channel(httpPort, signal);

// Everything the component may import is the package's own: files through
// the client's preopens only, in this thread (wasi/filesystem.js); HTTP, its
// streams and pollables, the clocks and insecure random (wasi/). Nothing else
// (sockets, environment, stdio, exit) is offered, so a build that started
// importing one would fail to instantiate, loudly, instead of gaining access.
// With `perCallPreopens` (the drop-in functions' shared client), the client
// sees no directory between calls and each call brings the one directory it
// may use; otherwise the preopens are the client's, fixed at open.
const files = filesystemView(perCallPreopens ? {} : preopens, { writeBack: channel });

async function instantiateComponent() {
  const imports = {
    ...files.imports,
    ...wasiImports(channel, { allowedAuthorities }),
  };
  const root = await instantiate((name) => modules[name], imports);
  return root.snapshot;
}

let api = await instantiateComponent();
let queue = Promise.resolve();

async function handle({ id, op, args, preopens: callPreopens }) {
  try {
    // A trap leaves the instance unusable; the next call gets a new one.
    api ??= await instantiateComponent();
    if (perCallPreopens) files.set(callPreopens ?? {});
    parentPort.postMessage(await callComponent(api, id, op, args));
  } catch (e) {
    api = null;
    parentPort.postMessage({ id, trap: String(e?.stack ?? e) });
  } finally {
    if (perCallPreopens) files.set({});
    // A finished call has dropped every exchange; a trapped one may not have.
    channel.abortAll();
    files.endCall();
  }
}

// Chained so calls run strictly in arrival order, even across a re-instantiation.
parentPort.on('message', (msg) => {
  queue = queue.then(() => handle(msg));
});

parentPort.postMessage({ type: MESSAGE.READY });
