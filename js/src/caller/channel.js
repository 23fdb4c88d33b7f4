// The guest side's channel in the caller-thread mode: the same interface as
// ../worker/channel.js (the wasi/ modules of ../worker run unchanged on it),
// but the host (../main/http-host.js) is in this thread: what the guest sends
// is handed to the host's `receive` directly, what the host posts lands in
// an inbox here, and waiting is a promise that the host's wake-up (or the
// deadline's timer) resolves. The guest is suspended meanwhile (JSPI, or
// Asyncify via asyncify.js), so the event loop runs.
import fs from 'node:fs';
import { hrtime } from 'node:process';
import { httpHost } from '../main/http-host.js';
import { Exchanges } from '../shared/exchanges.js';
import { MESSAGE, unpack } from '../shared/protocol.js';

const FS_CALLS = { fsync: fs.fsync, fdatasync: fs.fdatasync, rename: fs.rename };

export class LocalChannel {
  #exchanges = new Exchanges();
  #out = [];
  #inbox = [];
  #waiter = null;
  #timer = null; // the waiter's deadline
  #shut = false;
  #host;

  constructor() {
    const port = { postMessage: (packed) => this.#inbox.push(packed) };
    this.#host = httpHost(port, () => this.#wake());
  }

  get host() {
    return this.#host;
  }

  #wake() {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  open(receive) {
    return this.#exchanges.open(receive);
  }

  close(id) {
    this.#exchanges.close(id);
  }

  send(message) {
    this.#out.push(message);
  }

  flush() {
    if (this.#out.length === 0) return;
    const out = this.#out;
    this.#out = [];
    for (const m of out) this.#host.receive(m);
  }

  pump() {
    while (this.#inbox.length > 0) {
      const batch = this.#inbox;
      this.#inbox = [];
      for (const packed of batch) unpack(packed, this.#exchanges.deliver);
    }
  }

  /** Resolves with `ready()` once it holds or the monotonic clock reaches `deadline` (ns, bigint). */
  async waitFor(ready, deadline = null) {
    for (;;) {
      this.pump();
      if (ready()) return true;
      this.flush();
      this.pump(); // the host may have answered at once
      if (ready()) return true;
      let ms = null;
      if (deadline !== null) {
        const left = deadline - hrtime.bigint();
        if (left <= 0n) return false;
        ms = Math.max(1, Math.ceil(Number(left) / 1e6));
      }
      if (this.#shut) return new Promise(() => {}); // the client closed: this call never resumes
      await new Promise((resolve) => {
        const done = () => {
          if (this.#timer !== null) clearTimeout(this.#timer);
          this.#timer = null;
          this.#waiter = null;
          resolve();
        };
        if (ms !== null) this.#timer = setTimeout(done, ms);
        this.#waiter = done;
      });
    }
  }

  // ---- files (see ../worker/wasi/filesystem.js) ----------------------------------

  writeBack(fd) {
    this.#host.sync.request(fd);
  }

  /** Closes `fd` once no write-back of it is in flight (nothing waits for it). */
  closeAfterWriteBack(fd, close) {
    this.#host.sync.settle(fd, close);
  }

  /** `fs[call](...args)` on libuv's pool; rejects with `{ code }`. */
  asyncFs(call, ...args) {
    return new Promise((resolve, reject) => {
      FS_CALLS[call](...args, (err) => (err ? reject(err) : resolve()));
    });
  }

  abortAll() {
    this.flush();
    if (this.#exchanges.clear()) {
      this.#host.receive({ op: MESSAGE.ABORT_ALL });
    }
    this.pump();
  }

  /** Destroys every connection (the client is closing). Not `close`: that forgets one exchange. */
  shutdown() {
    this.#shut = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#waiter = null;
    this.#host.close();
  }
}
