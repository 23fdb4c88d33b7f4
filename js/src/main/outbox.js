// What the client's thread sends its worker, gathered per turn of the event
// loop: every message of one turn (a response's head, its bytes and its end
// usually arrive together) goes as one postMessage and one wake-up, so a
// small exchange wakes the blocked worker once instead of once per event.
// Each wake-up is a thread switch; on a busy machine it waits for a core.
import { pack } from '../shared/protocol.js';

export class Outbox {
  #port;
  #wake;
  #messages = [];
  #transfer = [];
  #before = new Set(); // work to do just before the turn's messages go (e.g. gather bytes)
  #scheduled = false;
  #wakes = false; // some queued message is one the worker may be waiting for

  /**
   * `port`: the worker's MessagePort; `signal`: the SharedArrayBuffer it waits
   * on, or a function that wakes the guest (the caller-thread mode, where
   * `port` is ../caller/channel.js's in-process one).
   */
  constructor(port, signal) {
    this.#port = port;
    if (typeof signal === 'function') this.#notify = signal;
    else this.#wake = new Int32Array(signal);
  }

  #notify = null;

  /**
   * Queues a message (and the buffers it transfers) for the end of this turn.
   * A `quiet` one is not worth waking the worker for: it waits for the next
   * wake-up (or for the worker's next look at its port).
   */
  post(message, transfer, quiet = false) {
    this.#messages.push(message);
    if (!quiet) this.#wakes = true;
    if (transfer) for (const b of transfer) this.#transfer.push(b);
    this.#schedule();
  }

  /** Runs `fn` once at the end of this turn, before the messages go (it may post). */
  beforeSend(fn) {
    this.#before.add(fn);
    this.#schedule();
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // The check phase of this turn: after the poll phase has handled every
    // socket event that was ready, so they all travel together.
    setImmediate(() => this.flush());
  }

  /** Sends what is queued now, as one message, and wakes the worker once. */
  flush() {
    this.#scheduled = false;
    for (const fn of this.#before) fn();
    this.#before.clear();
    if (this.#messages.length === 0) return;
    const messages = this.#messages;
    const transfer = this.#transfer;
    const wakes = this.#wakes;
    this.#messages = [];
    this.#transfer = [];
    this.#wakes = false;
    try {
      this.#port.postMessage(pack(messages), transfer);
    } catch {
      return; // the port is closed: the client is gone
    }
    if (!wakes) return;
    if (this.#notify !== null) {
      this.#notify();
      return;
    }
    Atomics.add(this.#wake, 0, 1);
    Atomics.notify(this.#wake, 0);
  }
}
