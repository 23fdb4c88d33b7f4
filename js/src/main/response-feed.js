// The response body of one exchange on its way to the guest, whichever client
// receives it (node:http in http-host.js, Bun's fetch in fetch-transfer.js):
// bytes are gathered into pooled buffers and posted at the end of the turn of
// the event loop they arrived in, and what the guest has yet to read is
// counted, so the source can be paused once the guest is a window behind.
import { BufferPool } from '../shared/buffer-pool.js';
import { MESSAGE } from '../shared/protocol.js';

/** Response bytes the guest may hold unread before the source is paused. */
const RECEIVE_WINDOW = 8 << 20;

/**
 * Response bytes travel to the guest in pooled buffers of this size, filled
 * from the source's (64 KiB) chunks, which the guest hands back once it has
 * read them (with `consumed`): its 256 KiB reads take one message each, not
 * four, and no copy on its side.
 */
const POOL_BUFFER = 256 << 10;
/**
 * Gathered bytes fewer than this go to the guest as an exact-size copy, and
 * the pooled buffer stays here: a small response then costs no 256 KiB
 * buffer (a fresh one, zeroed, whenever the guest has not given one back).
 */
const SMALL = 64 << 10;
/** Buffers kept for reuse: the receive window's worth, shared by every transfer. */
const pool = new BufferPool(POOL_BUFFER, (RECEIVE_WINDOW / POOL_BUFFER) * 2);

/** Buffers the guest has emptied, back for reuse (they may outlive their exchange). */
export function giveBack(buffers) {
  pool.give(buffers);
}

export class ResponseFeed {
  #id;
  #outbox;
  #filling = null; // the pooled buffer bytes are gathered in
  #filled = 0; // bytes of it not yet posted
  #outstanding = 0; // bytes posted or gathered, not yet read by the guest
  #released = false;
  #flushNow = () => this.flush();

  /** `outbox`: ./outbox.js, towards the guest of exchange `id`. */
  constructor(id, outbox) {
    this.#id = id;
    this.#outbox = outbox;
  }

  /** Takes a chunk of the body. True when the guest is a whole window behind: pause the source. */
  push(chunk) {
    if (this.#released) return false;
    for (let at = 0; at < chunk.byteLength;) {
      this.#filling ??= new Uint8Array(pool.take());
      const n = Math.min(chunk.byteLength - at, POOL_BUFFER - this.#filled);
      this.#filling.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === POOL_BUFFER) this.flush();
    }
    // What a buffer holds goes out at the end of this turn of the event
    // loop (after the source's other chunks of it), full or not.
    if (this.#filling !== null) this.#outbox.beforeSend(this.#flushNow);
    this.#outstanding += chunk.byteLength;
    return this.#outstanding >= RECEIVE_WINDOW;
  }

  /** The guest read `n` more bytes. True when a paused source may go again. */
  consumed(n) {
    this.#outstanding -= n;
    return this.#outstanding < RECEIVE_WINDOW / 2;
  }

  /** Posts the gathered bytes, if any. */
  flush() {
    if (this.#filling === null || this.#released || this.#filled === 0) return;
    if (this.#filled < SMALL) {
      const copy = this.#filling.slice(0, this.#filled);
      this.#filled = 0;
      this.#outbox.post({ id: this.#id, type: MESSAGE.DATA, chunk: copy }, [copy.buffer]);
      return;
    }
    const bytes = this.#filling.subarray(0, this.#filled);
    this.#filling = null;
    this.#filled = 0;
    this.#outbox.post({ id: this.#id, type: MESSAGE.DATA, chunk: bytes }, [bytes.buffer]);
  }

  /** The exchange is over: a buffer kept by a small flush goes back to the pool, nothing more is posted. */
  release() {
    if (this.#released) return;
    this.#released = true;
    if (this.#filling !== null) pool.give([this.#filling.buffer]);
    this.#filling = null;
  }
}
