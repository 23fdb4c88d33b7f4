// The caller-thread mode (`SnapshotClient.open({ thread: 'caller' })`): the
// component instance runs on the thread that opened the client, with the
// asynchronous host: the imports that wait (wasi:io/poll's poll and block,
// descriptor sync and rename-at) return promises and suspend the guest (JSPI,
// or Asyncify through asyncify.js where the runtime has no JSPI), so the
// event loop keeps running during a call. No worker, no messages between
// threads: HTTP is ../main/http-host.js called directly (channel.js).
//
// It stands in for the Worker that ../main/client.js drives: the same
// messages ({ id, op, args, preopens? } in, { id, ok | err | trap } out).
import { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { callComponent } from '../shared/component-call.js';
import { filesystemView } from '../worker/wasi/filesystem.js';
import { wasiImports } from '../worker/wasi/index.js';
import { jspiFor } from './asyncify.js';
import { LocalChannel } from './channel.js';

const GENERATED = new URL('../../generated/caller/', import.meta.url);

let loaded;
function load() {
  loaded ??= (async () => {
    const names = (await readdir(GENERATED)).filter((n) => n.endsWith('.wasm'));
    const modules = {};
    for (const name of names) modules[name] = await WebAssembly.compile(await readFile(new URL(name, GENERATED)));
    const { instantiate } = await import(new URL('transcript_snapshot.js', GENERATED).href);
    return { modules, instantiate };
  })();
  loaded.catch(() => { loaded = undefined; });
  return loaded;
}

export class CallerThread extends EventEmitter {
  #channel = new LocalChannel();
  #files;
  #sandbox;
  #api = null;
  #queue = Promise.resolve();
  #closed = false;
  #keepAlive = null;

  static async start(sandbox) {
    const t = new CallerThread(sandbox);
    t.#api = await t.#instantiate();
    return t;
  }

  constructor(sandbox) {
    super();
    this.#sandbox = sandbox;
    this.#files = filesystemView(sandbox.perCallPreopens ? {} : sandbox.preopens, { writeBack: this.#channel });
  }

  /** What client.js closes with the client. */
  get http() {
    return { close: () => this.#channel.shutdown() };
  }

  async #instantiate() {
    const { modules, instantiate } = await load();
    const { jspi, instantiateCore } = jspiFor();
    const imports = {
      ...this.#files.imports,
      ...wasiImports(this.#channel, { allowedAuthorities: this.#sandbox.allowedAuthorities }),
    };
    const root = await instantiate((name) => modules[name], imports, instantiateCore, jspi);
    return root.snapshot;
  }

  async #handle({ id, op, args, preopens }) {
    let answer;
    try {
      this.#api ??= await this.#instantiate();
      if (this.#sandbox.perCallPreopens) this.#files.set(preopens ?? {});
      answer = await callComponent(this.#api, id, op, args);
    } catch (e) {
      this.#api = null;
      answer = { id, trap: String(e?.stack ?? e) };
    } finally {
      if (this.#sandbox.perCallPreopens) this.#files.set({});
      this.#channel.abortAll();
      // Closed after the answer and the caller's own continuation: on Bun
      // the closes take ~0.06 ms of this thread (bench/README.md).
      this.#files.endCall(setImmediate);
    }
    if (!this.#closed) this.emit('message', answer);
  }

  postMessage(msg) {
    this.#queue = this.#queue.then(() => this.#handle(msg));
  }

  // A call in flight keeps the process alive (as the worker's ref does): an
  // interval that does nothing, cleared when the client is idle again.
  ref() {
    this.#keepAlive ??= setInterval(() => {}, 1 << 30);
  }

  unref() {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
  }

  async terminate() {
    this.#closed = true;
    this.unref();
    this.#channel.shutdown();
  }
}
