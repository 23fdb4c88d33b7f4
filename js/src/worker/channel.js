// The worker's end of the link to the thread that performs the HTTP exchanges
// (../main/http-host.js; the messages are named in ../shared/protocol.js).
// The component runs synchronously on this thread, so this end never listens
// for messages: it pulls whatever has arrived with receiveMessageOnPort each
// time the guest asks about a stream or a future, and parks the thread in
// Atomics.wait when the guest has to wait. The other
// end bumps a counter in a SharedArrayBuffer and notifies after every batch
// of messages it posts; that is what wakes a parked worker.
import { hrtime } from 'node:process';
import { receiveMessageOnPort } from 'node:worker_threads';
import { Exchanges } from '../shared/exchanges.js';
import { MESSAGE, pack, unpack } from '../shared/protocol.js';

/** Queued body bytes that are sent without waiting for the guest to wait. */
const FLUSH_BYTES = 256 << 10;

export class Channel {
  #port;
  #signal;
  #exchanges = new Exchanges();
  #out = []; // messages not sent yet (see send)
  #transfer = [];
  #queued = 0; // body bytes in #out

  /** `port`: a MessagePort nobody listens on; `signal`: the SharedArrayBuffer the other end notifies on. */
  constructor(port, signal) {
    this.#port = port;
    this.#signal = new Int32Array(signal);
  }

  /** Registers the receiver of one exchange's messages; returns the exchange's id. */
  open(receive) {
    return this.#exchanges.open(receive);
  }

  /** Forgets an exchange; messages still on their way for it are dropped. */
  close(id) {
    this.#exchanges.close(id);
  }

  /**
   * Fire and forget: the other end never answers a message directly.
   * Messages wait here until this thread next waits (or `flush`): what the
   * guest does between two waits, e.g. a request, its body and its end,
   * reaches the other thread as one message, which wakes it once.
   */
  send(message, transfer) {
    this.#out.push(message);
    if (transfer) for (const b of transfer) this.#transfer.push(b);
    // A long body goes on as it is written, so the socket is never idle for long.
    this.#queued += message.chunk?.byteLength ?? 0;
    if (this.#queued >= FLUSH_BYTES) this.flush();
  }

  /** Sends the messages `send` queued. */
  flush() {
    if (this.#out.length === 0) return;
    const out = this.#out;
    const transfer = this.#transfer;
    this.#out = [];
    this.#transfer = [];
    this.#queued = 0;
    this.#port.postMessage(pack(out), transfer);
  }

  /**
   * Asks the other thread to start writing the new bytes of the file at `fd`
   * to disk now (see ../main/background-sync.js). Fire and forget, at once: the
   * disk should start while the guest goes on writing.
   */
  writeBack(fd) {
    this.send({ op: MESSAGE.WRITE_BACK, fd });
    this.flush();
  }

  /**
   * Runs `fs[call](...args, callback)` (fsync, fdatasync or rename) on the
   * other thread, which hands it to libuv's pool, and blocks until it is
   * done; throws `{ code }` (Node's error code) if it failed. Why not the
   * *Sync call here: see ../main/host-fs.js.
   */
  blockingFs(call, ...args) {
    let done = null;
    const id = this.open((m) => { done = m; });
    this.send({ op: MESSAGE.FS, id, call, args });
    this.waitFor(() => done !== null);
    this.close(id);
    if (done.code !== undefined) throw { code: done.code };
  }

  /** Blocks until the other thread has no sync of `fd` in flight: call it before closing `fd`. */
  settleWriteBack(fd) {
    let settled = false;
    const id = this.open(() => { settled = true; });
    this.send({ op: MESSAGE.WRITE_BACK_SETTLE, id, fd });
    this.waitFor(() => settled);
    this.close(id);
  }

  /** Delivers every message that has arrived, without waiting. */
  pump() {
    for (let got = receiveMessageOnPort(this.#port); got; got = receiveMessageOnPort(this.#port)) {
      // The other end sends what one turn of its event loop produced as one batch (../main/outbox.js).
      unpack(got.message, this.#exchanges.deliver);
    }
  }

  /**
   * Blocks the thread until `ready()` holds or the monotonic clock reaches
   * `deadline` (ns, bigint; null waits as long as it takes). Returns `ready()`.
   */
  waitFor(ready, deadline = null) {
    for (;;) {
      // Read the counter before pumping: a message posted after the pump
      // changes it, so the wait below returns at once instead of missing it.
      const seen = Atomics.load(this.#signal, 0);
      this.pump();
      if (ready()) return true;
      this.flush(); // what the other side may be waiting for, before this thread sleeps
      let ms = Infinity;
      if (deadline !== null) {
        const left = deadline - hrtime.bigint();
        if (left <= 0n) return false;
        ms = Number(left) / 1e6;
      }
      Atomics.wait(this.#signal, 0, seen, ms);
    }
  }

  /**
   * Aborts every exchange still open. A call that returns (or traps) with
   * one open left its resources behind; this closes their connections.
   */
  abortAll() {
    if (this.#exchanges.clear()) {
      this.send({ op: MESSAGE.ABORT_ALL });
    }
    this.flush();
  }
}
