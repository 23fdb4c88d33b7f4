// One HTTP exchange as the worker sees it: the request body the guest writes,
// and the response (head, body, or failure) the other thread pushes as it
// happens. Everything the guest asks is answered from this state; the only
// traffic is one-way messages (named in ../../shared/protocol.js):
//
//   worker → host: REQUEST, BODY (bytes, transferred), FINISH, ABORT,
//                  CONSUMED (with the emptied response buffers, for reuse)
//   host → worker: RESPONSE, DATA (bytes, transferred), END, FAIL,
//                  ACK (with the sent request buffers, for reuse)
//
// (The same port also carries the worker's file calls, which are not
// exchanges: WRITE_BACK and WRITE_BACK_SETTLE, answered by SETTLED, and FS,
// answered by FS_DONE; see ../channel.js, ../../main/background-sync.js and
// ../../main/host-fs.js.)
//
// A FAIL ends the whole exchange, or with `part: PART.REQUEST` only the
// request body (the response was already complete).
//
// Flow control, both ways, keeps that traffic small and memory bounded: the
// guest may have SEND_WINDOW request bytes not yet written to the socket
// (`ack` returns them), and the host pauses the response once the guest is
// far enough behind (`consumed` tells it how far it got).
import { BufferPool } from '../../shared/buffer-pool.js';
import { MESSAGE, PART } from '../../shared/protocol.js';
import { closed } from './streams.js';

/** Request-body bytes that may be in flight between the guest and the socket. */
const SEND_WINDOW = 1 << 20;
/** Smallest grant of check-write: a nearly full window reads as full, so the
 * guest sends a few large messages rather than a stream of slivers. */
const MIN_GRANT = 64 << 10;
/** The guest's consumption of the response is reported in steps this big. */
const REPORT_EVERY = 1 << 20;
/**
 * Request-body bytes travel to the host in pooled buffers of this size,
 * which come back with its `ack`s once on the socket.
 */
const SEND_BUFFER = 256 << 10;
const sendPool = new BufferPool(SEND_BUFFER, (SEND_WINDOW / SEND_BUFFER) * 2); // every exchange of this worker
/** Body writes smaller than this are copied into a buffer of their own size. */
const SMALL_COPY = 64 << 10;

export class Exchange {
  #channel;
  #failed; // code → the stream-error last-operation-failed(code)
  #id = 0;
  #started = false;
  #queue = []; // messages written before handle() sent the request
  #refs = 0; // guest resources still using this exchange
  #done = false;
  #aborted = false;

  // request body: 'none' (no body), 'open', 'finished' or 'abandoned'
  #body = 'none';
  #declared; // content-length the guest declared, if any
  #written = 0;
  #acked = 0; // written to the socket
  #flushAt = 0;
  #sendFailure = null; // the request body failed; the response may still be fine
  #writeFailureShown = false;

  // response
  #response = null; // { status, headers }
  #failure = null; // wasi:http error-code: the exchange failed
  #chunks = [];
  #buffered = 0;
  #ended = false;
  #unreported = 0;
  #readFailureShown = false;
  // Buffers of chunks the guest has read, to hand back to the host for reuse.
  // Those emptied by the latest read wait one read more: its result may be a
  // view of them that jco has not copied into the guest yet.
  #emptied = [];
  #spent = [];
  #scratch = null; // one read that spans chunks is assembled here

  constructor(channel, failed, declared) {
    this.#channel = channel;
    this.#failed = failed;
    this.#declared = declared;
  }

  // ---- lifetime --------------------------------------------------------------

  /** Sends the request; `spec` is what ../../main/http-host.js needs to make it. */
  start(spec) {
    if (this.#body === 'abandoned') {
      // The body was dropped before the request went out: it never does.
      this.#failure ??= { tag: 'HTTP-protocol-error' };
      return;
    }
    this.#id = this.#channel.open((message) => this.#receive(message));
    this.#started = true;
    this.#channel.send({ op: MESSAGE.REQUEST, id: this.#id, ...spec, hasBody: this.#body !== 'none' });
    for (const [message, transfer] of this.#queue) this.#post(message, transfer);
    this.#queue = [];
    // A request without a body (or with one already finished) is complete: it
    // goes now, so the host makes it while the guest does its own work (a
    // hydrate's file calls) before waiting for the answer.
    if (this.#body === 'none' || this.#body === 'finished') this.#channel.flush();
  }

  retain() {
    this.#refs += 1;
  }

  /** When the guest has dropped every resource of the exchange, its connection goes. */
  release() {
    this.#refs -= 1;
    if (this.#refs > 0 || this.#done || !this.#started) return;
    this.#done = true;
    this.#channel.close(this.#id);
    // A complete exchange has already ended on the other side (its
    // connection went back to the pool): a message would only wake that thread.
    if (!this.#complete()) this.#abort();
  }

  /** The response ended cleanly and the request, if it had a body, is wholly on the socket. */
  #complete() {
    this.#channel.pump();
    if (!this.#ended || this.#failure !== null || this.#sendFailure !== null) return false;
    return this.#body === 'none' || (this.#body === 'finished' && this.#acked === this.#written);
  }

  /** Has the host destroy the exchange's connection (a no-op once it is over). */
  #abort() {
    if (!this.#started || this.#aborted) return;
    this.#aborted = true;
    this.#channel.send({ op: MESSAGE.ABORT, id: this.#id });
  }

  #post(message, transfer = []) {
    if (!this.#started) {
      this.#queue.push([message, transfer]);
      return;
    }
    message.id = this.#id;
    this.#channel.send(message, transfer);
  }

  #receive(m) {
    switch (m.type) {
      case MESSAGE.RESPONSE: this.#response = { status: m.status, headers: m.headers }; break;
      case MESSAGE.DATA: this.#chunks.push(m.chunk); this.#buffered += m.chunk.byteLength; break;
      case MESSAGE.END: this.#ended = true; break;
      case MESSAGE.ACK: this.#acked += m.n; sendPool.give(m.buffers); break;
      case MESSAGE.FAIL:
        if (m.part === PART.REQUEST) this.#sendFailure ??= m.code;
        else this.#failure ??= m.code;
        break;
      default: break;
    }
  }

  // ---- request body ----------------------------------------------------------

  openBody() {
    this.#body = 'open';
    this.retain();
  }

  /** Throws the stream-error a write would meet now, if any. */
  #checkWritable() {
    if (this.#body !== 'open') throw closed();
    const failure = this.#sendFailure ?? this.#failure;
    if (failure !== null) {
      if (this.#writeFailureShown) throw closed();
      this.#writeFailureShown = true;
      throw this.#failed(failure);
    }
  }

  #free() {
    if (this.#acked < this.#flushAt && !this.#whole()) return 0; // a flush in progress
    const free = SEND_WINDOW - (this.#written - this.#acked);
    return free >= MIN_GRANT ? free : 0;
  }

  capacity() {
    this.#channel.pump();
    this.#checkWritable();
    return this.#free();
  }

  write(bytes) {
    this.#channel.pump();
    this.#checkWritable();
    const total = this.#written + bytes.byteLength;
    if (this.#declared !== undefined && total > this.#declared) {
      throw this.#failed({ tag: 'HTTP-request-body-size', val: BigInt(total) });
    }
    this.#written = total;
    // `bytes` is a view of guest memory (js/scripts/patch-generated.mjs), valid
    // only during this call: copy it now, into buffers the host gives back.
    for (let at = 0; at < bytes.byteLength; at += SEND_BUFFER) {
      const part = bytes.subarray(at, at + SEND_BUFFER);
      let chunk;
      if (part.byteLength < SMALL_COPY) {
        chunk = part.slice(); // a small body (or tail): no 256 KiB buffer for a few bytes
      } else {
        chunk = new Uint8Array(sendPool.take(), 0, part.byteLength);
        chunk.set(part);
      }
      this.#post({ op: MESSAGE.BODY, chunk }, [chunk.buffer]);
    }
  }

  /**
   * A flush completes once its bytes are on the socket, except that of a
   * body already written to its declared length: nothing can follow it but
   * `finish`, which goes out with it (they leave this thread together when it
   * next waits, see ../channel.js), and the server knows the body complete by
   * its length. Waiting there would cost a round trip between the threads
   * before every `finish`. A failure to send still reaches the guest,
   * through the response.
   */
  flush() {
    this.#channel.pump();
    this.#checkWritable();
    this.#flushAt = this.#written;
  }

  #whole() {
    return this.#declared !== undefined && this.#written === this.#declared;
  }

  /** Whether check-write would grant something (or report a failure). */
  writeReady() {
    return this.#body !== 'open' || this.#failure !== null || this.#sendFailure !== null || this.#free() > 0;
  }

  /** outgoing-body.finish: the body is complete, if it has the declared length. */
  finish() {
    this.#channel.pump();
    if (this.#declared !== undefined && this.#written !== this.#declared) {
      const code = { tag: 'HTTP-request-body-size', val: BigInt(this.#written) };
      this.abandon(code);
      throw code;
    }
    this.#body = 'finished';
    this.#post({ op: MESSAGE.FINISH });
    // The request is complete: it goes now, as one without a body does (see
    // start), not at the guest's next wait.
    if (this.#started) this.#channel.flush();
    this.release();
  }

  /**
   * The guest dropped the body without finishing it: the request is aborted
   * (its connection destroyed), so the server never sees a complete body.
   */
  abandon(code = { tag: 'HTTP-protocol-error' }) {
    this.#channel.pump(); // an answer that already arrived stays the answer
    this.#body = 'abandoned';
    this.#failure ??= code;
    this.#abort();
    this.release();
  }

  // ---- response --------------------------------------------------------------

  responseReady() {
    return this.#response !== null || this.#failure !== null;
  }

  /** `{ response }`, `{ failure }`, or null while neither has arrived. */
  outcome() {
    this.#channel.pump();
    if (this.#response !== null) return { response: this.#response };
    if (this.#failure !== null) return { failure: this.#failure };
    return null;
  }

  readReady() {
    return this.#buffered > 0 || this.#ended || this.#failure !== null;
  }

  /** input-stream.read: buffered bytes first, then the end or the failure. */
  read(max) {
    this.#channel.pump();
    if (this.#buffered > 0) return this.#take(max);
    if (this.#ended) throw closed();
    if (this.#failure !== null) {
      if (this.#readFailureShown) throw closed();
      this.#readFailureShown = true;
      throw this.#failed(this.#failure);
    }
    return new Uint8Array(0);
  }

  #take(max) {
    this.#spent.push(...this.#emptied);
    this.#emptied = [];
    const n = Math.min(max, this.#buffered);
    let out;
    const first = this.#chunks[0];
    if (first.byteLength >= n) {
      out = first.subarray(0, n);
      if (first.byteLength === n) this.#emptied.push(this.#chunks.shift().buffer);
      else this.#chunks[0] = first.subarray(n);
    } else {
      // Several chunks make one read: one copy here saves the guest calls.
      // jco copies the result into the guest before the next read, so one
      // scratch buffer serves them all.
      if (this.#scratch === null || this.#scratch.byteLength < n) this.#scratch = new Uint8Array(n);
      out = this.#scratch.subarray(0, n);
      for (let at = 0; at < n;) {
        const chunk = this.#chunks[0];
        const part = Math.min(chunk.byteLength, n - at);
        out.set(part === chunk.byteLength ? chunk : chunk.subarray(0, part), at);
        at += part;
        if (part === chunk.byteLength) this.#emptied.push(this.#chunks.shift().buffer);
        else this.#chunks[0] = chunk.subarray(part);
      }
    }
    this.#buffered -= n;
    this.#unreported += n;
    if (this.#unreported >= REPORT_EVERY) {
      const buffers = this.#spent;
      this.#spent = [];
      this.#channel.send({ op: MESSAGE.CONSUMED, id: this.#id, n: this.#unreported, buffers }, buffers);
      this.#unreported = 0;
    }
    return out;
  }
}
