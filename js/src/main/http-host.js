// Performs the HTTP exchanges of one client's component with node:http and
// node:https, on the thread that opened the client, and streams them to the
// worker over a MessagePort (the worker's end is ../worker/channel.js; the
// messages are named in ../shared/protocol.js, and the exchange described in
// ../worker/wasi/exchange.js).
//
// Why this thread and not one of our own: the work per message is a copy
// into a pooled buffer and a postMessage (buffers are transferred, not
// cloned), so it costs the caller's event loop little, and the sockets then live where the client's lifetime is
// managed: close() destroys them directly, and an idle client holds no
// thread, port or socket that could keep the process alive. The price is
// that a caller who blocks its own event loop stalls its transfers; the
// guest's timeouts still apply.
//
// Connections are kept alive between calls (as the reference client's fetch
// does): a warm worker's call then costs no TCP handshake, and no teardown on
// the thread it shares with the caller. An idle connection is closed after
// IDLE_MS (earlier when the server's keep-alive hint says so) and never keeps
// the process alive.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import { BufferPool } from '../shared/buffer-pool.js';
import { MESSAGE, PART, unpack } from '../shared/protocol.js';
import { BackgroundSync } from './background-sync.js';
import { runBlockingFs } from './host-fs.js';
import { networkErrorCode } from './network-errors.js';
import { Outbox } from './outbox.js';

/** Response bytes the worker may hold unread before the socket is paused. */
const RECEIVE_WINDOW = 8 << 20;

/**
 * Response bytes travel to the worker in pooled buffers of this size, filled
 * from the socket's (64 KiB) chunks, which the worker hands back once the
 * guest has read them (with `consumed`): the guest's 256 KiB reads take one
 * message each, not four, and no copy in the worker.
 */
const POOL_BUFFER = 256 << 10;
/**
 * Gathered bytes fewer than this go to the worker as an exact-size copy, and
 * the pooled buffer stays here: a small response then costs no 256 KiB
 * buffer (a fresh one, zeroed, whenever the worker has not given one back).
 */
const SMALL = 64 << 10;
/** Buffers kept for reuse: the receive window's worth, shared by every transfer. */
const pool = new BufferPool(POOL_BUFFER, (RECEIVE_WINDOW / POOL_BUFFER) * 2);

/** An idle kept-alive connection is closed after this long (undici's default is 4 s too). */
const IDLE_MS = 4000;

/**
 * Errors of a request sent on a kept-alive connection that the server had
 * already closed (the race every connection pool has): a request with no
 * body is then sent again once, on a fresh connection.
 */
const STALE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** One request and its response. `post(message, transfer)` reaches the worker. */
class Transfer {
  #id;
  #post;
  #forget;
  #req;
  #res = null;
  #requestOpen = true; // body still being sent
  #responseOpen = true; // body still being received
  #over = false;
  #timers = {};
  #betweenBytesMs;
  #unacked = 0; // request bytes on the socket, not yet reported to the worker
  #written = []; // and the buffers they came in, to go back with the report
  #outstanding = 0; // response bytes received for the worker, not yet consumed by the guest
  #filling = null; // the pooled buffer response bytes are gathered in
  #filled = 0; // bytes of it not yet posted
  #paused = false;
  #bodyEnded = false; // the worker sent the whole request body
  #spec;
  #outbox;
  #flushData = () => this.#flush();
  #ackNow = () => this.#ack();

  /** `outbox.post(message, transfer)` reaches the worker; `agent` pools the connections. */
  constructor(spec, outbox, agent, forget) {
    this.#id = spec.id;
    this.#post = (message, transfer, quiet) => outbox.post(message, transfer, quiet);
    this.#outbox = outbox;
    this.#forget = forget;
    this.#spec = spec;
    this.#betweenBytesMs = spec.betweenBytesMs;
    this.#send(agent);
  }

  #send(agent) {
    const spec = this.#spec;
    const options = { method: spec.method, host: spec.host, port: spec.port, path: spec.path, agent };
    const req = (spec.scheme === 'https' ? https : http).request(options);
    this.#req = req;
    const current = (fn) => (...a) => { if (this.#req === req) fn(...a); }; // a stale attempt's events are ignored
    req.on('error', current((e) => (this.#stale(req, e) ? this.#send(false) : this.#fail(networkErrorCode(e)))));
    // Closed while the body is still coming: the server hung up after answering.
    req.on('close', current(() => { if (this.#requestOpen) this.#fail({ tag: 'connection-terminated' }); }));
    req.on('response', current((res) => this.#respond(res)));
    req.on('finish', current(() => this.#sent(spec.firstByteMs)));
    req.on('socket', current((socket) => {
      if (req.reusedSocket) this.#disarm('connect'); // connected long ago: no 'connect' event comes
      else socket.once(spec.scheme === 'https' ? 'secureConnect' : 'connect', () => this.#disarm('connect'));
    }));
    this.#arm('connect', spec.connectMs, { tag: 'connection-timeout' });
    try {
      for (const [name, value] of spec.headers) req.appendHeader(name, value);
    } catch (e) {
      this.#fail({ tag: 'internal-error', val: String(e?.message ?? e) });
      return;
    }
    if (!spec.hasBody) req.end();
  }

  /** A request with no body that met a kept-alive connection the server had closed: send it again. */
  #stale(req, e) {
    if (!req.reusedSocket || this.#res !== null || this.#spec.hasBody || this.#over || !STALE.has(e?.code)) return false;
    this.#disarm('firstByte');
    this.#requestOpen = true;
    return true;
  }

  /** Whether the transfer has ended (it may fail while it is being set up). */
  get over() {
    return this.#over;
  }

  // ---- from the worker ---------------------------------------------------------

  /**
   * Request-body bytes. They are acknowledged once on the socket, which is
   * what frees the guest's window; the acknowledgements of one turn of the
   * event loop go as one message.
   */
  write(chunk) {
    if (this.#over) return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#req.write(bytes, (err) => {
      // A write to a connection that closed after a complete answer fails here only (no 'error').
      if (err) return this.#fail(networkErrorCode(err));
      if (this.#unacked === 0) this.#outbox.beforeSend(this.#ackNow);
      this.#unacked += bytes.byteLength;
      this.#written.push(chunk.buffer); // on the socket: the worker may reuse it
    });
  }

  #ack() {
    const buffers = this.#written;
    this.#written = [];
    // Once the body is complete the guest no longer waits for acks (it waits
    // for the response): they only return buffers, and need not wake it.
    if (!this.#over) this.#post({ id: this.#id, type: MESSAGE.ACK, n: this.#unacked, buffers }, buffers, this.#bodyEnded);
    this.#unacked = 0;
  }

  end() {
    this.#bodyEnded = true;
    if (!this.#over) this.#req.end();
  }

  /** The guest read `n` more bytes: let the socket go again once it is well behind. */
  consumed(n) {
    this.#outstanding -= n;
    if (this.#paused && !this.#over && this.#outstanding < RECEIVE_WINDOW / 2) {
      this.#paused = false;
      this.#res.resume();
      this.#armBetweenBytes();
    }
  }

  /** The guest dropped the exchange (or its unfinished body): destroy the connection. */
  abort() {
    this.#close();
    this.#req.destroy();
    this.#res?.destroy();
  }

  // ---- from the network --------------------------------------------------------

  #sent(firstByteMs) {
    this.#requestOpen = false;
    if (this.#res === null) this.#arm('firstByte', firstByteMs, { tag: 'connection-read-timeout' });
    this.#settleIfDone();
  }

  #respond(res) {
    this.#res = res;
    this.#disarm('connect');
    this.#disarm('firstByte');
    // Status and headers exactly as received (rawHeaders keeps names, order and repeats).
    this.#post({ id: this.#id, type: MESSAGE.RESPONSE, status: res.statusCode, headers: res.rawHeaders });
    this.#armBetweenBytes();
    res.on('data', (chunk) => this.#data(chunk));
    res.on('end', () => {
      this.#responseOpen = false;
      this.#disarm('betweenBytes');
      this.#flush();
      if (!this.#over) this.#post({ id: this.#id, type: MESSAGE.END });
      this.#outbox.flush(); // nothing more will come for it: the guest need not wait for the turn to end
      this.#settleIfDone();
    });
    res.on('error', (e) => this.#fail(networkErrorCode(e)));
    res.on('close', () => { if (this.#responseOpen) this.#fail({ tag: 'connection-terminated' }); });
  }

  #data(chunk) {
    if (this.#over) return;
    for (let at = 0; at < chunk.byteLength;) {
      this.#filling ??= new Uint8Array(pool.take());
      const n = Math.min(chunk.byteLength - at, POOL_BUFFER - this.#filled);
      this.#filling.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === POOL_BUFFER) this.#flush();
    }
    // What a buffer holds goes out at the end of this turn of the event
    // loop (after the socket's other reads of it), full or not.
    if (this.#filling !== null) this.#outbox.beforeSend(this.#flushData);
    this.#outstanding += chunk.byteLength;
    if (this.#outstanding >= RECEIVE_WINDOW) {
      this.#paused = true;
      this.#res.pause();
      this.#disarm('betweenBytes'); // waiting for the guest is not a stalled server
    } else {
      this.#armBetweenBytes();
    }
  }

  /** Posts the gathered response bytes, if any. */
  #flush() {
    if (this.#filling === null || this.#over || this.#filled === 0) return;
    if (this.#filled < SMALL) {
      const copy = this.#filling.slice(0, this.#filled);
      this.#filled = 0;
      this.#post({ id: this.#id, type: MESSAGE.DATA, chunk: copy }, [copy.buffer]);
      return;
    }
    const bytes = this.#filling.subarray(0, this.#filled);
    this.#filling = null;
    this.#filled = 0;
    this.#post({ id: this.#id, type: MESSAGE.DATA, chunk: bytes }, [bytes.buffer]);
  }

  #armBetweenBytes() {
    const timer = this.#timers.betweenBytes;
    if (timer) timer.refresh(); // once per chunk: cheaper than a new timer
    else this.#arm('betweenBytes', this.#betweenBytesMs, { tag: 'connection-read-timeout' });
  }

  // ---- endings -----------------------------------------------------------------

  /** Reports a failure to the worker (once) and destroys the connection. */
  #fail(code) {
    if (this.#over) return;
    if (this.#res?.complete) {
      // The whole response is parsed (a socket error after it, e.g. on bytes
      // past its content-length, cannot change it): what Node still buffers
      // gets delivered and ended. Only a request body still going fails.
      if (this.#requestOpen) {
        this.#requestOpen = false;
        this.#post({ id: this.#id, type: MESSAGE.FAIL, code, part: PART.REQUEST });
      }
      this.#settleIfDone();
      return;
    }
    this.#flush(); // what arrived is delivered before the failure
    this.#post({ id: this.#id, type: MESSAGE.FAIL, code });
    this.#outbox.flush();
    this.abort();
  }

  #settleIfDone() {
    if (!this.#requestOpen && !this.#responseOpen) this.#close();
  }

  #close() {
    if (this.#over) return;
    this.#over = true;
    if (this.#filling !== null) pool.give([this.#filling.buffer]); // kept by a small flush
    this.#filling = null;
    for (const name of Object.keys(this.#timers)) this.#disarm(name);
    this.#forget();
  }

  /** The request options' timeouts; they are backstops behind the guest's own timers. */
  #arm(name, ms, code) {
    this.#disarm(name);
    if (this.#over) return;
    const timer = setTimeout(() => this.#fail(code), ms);
    timer.unref();
    this.#timers[name] = timer;
  }

  #disarm(name) {
    clearTimeout(this.#timers[name]);
    delete this.#timers[name];
  }
}

/**
 * Serves the worker at the other end of `port` (its HTTP exchanges, and the
 * early write-back of its files); `signal` is the SharedArrayBuffer it waits
 * on. Returns `{ close }`, which destroys every connection still open.
 */
export function serveHttp(port, signal) {
  const host = httpHost(port, signal);
  // The worker sends what it wrote before it next waits as one batch (../worker/channel.js).
  port.on('message', (m) => unpack(m, host.receive));
  port.unref(); // calls keep the process alive through the worker, not through this port
  return {
    close() {
      host.close();
      port.close();
    },
  };
}

/**
 * The same host without the port listener: `receive(message)` takes the
 * guest side's messages, answers go through `port.postMessage` and wake it
 * through `signal` (see Outbox). The caller-thread mode
 * (../caller/channel.js) calls it directly, in the same thread.
 */
export function httpHost(port, signal) {
  const outbox = new Outbox(port, signal);
  const post = (message, transfer) => outbox.post(message, transfer);
  const transfers = new Map();
  const agents = {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_MS }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_MS }),
  };
  const abortAll = () => { for (const t of [...transfers.values()]) t.abort(); };
  const sync = new BackgroundSync();
  const receive = (m) => {
    // The worker's files, not HTTP: see background-sync.js.
    if (m.op === MESSAGE.WRITE_BACK) return sync.request(m.fd);
    if (m.op === MESSAGE.WRITE_BACK_SETTLE) return sync.settle(m.fd, () => post({ id: m.id, type: MESSAGE.SETTLED }));
    if (m.op === MESSAGE.FS) return runBlockingFs(m, (answer) => { post(answer); outbox.flush(); });
    if (m.op === MESSAGE.REQUEST) {
      let t;
      try {
        t = new Transfer(m, outbox, agents[m.scheme], () => transfers.delete(m.id));
      } catch (e) { // node:http refused the request itself
        post({ id: m.id, type: MESSAGE.FAIL, code: { tag: 'internal-error', val: String(e?.message ?? e) } });
        return;
      }
      if (!t.over) transfers.set(m.id, t);
      return;
    }
    if (m.op === MESSAGE.ABORT_ALL) return abortAll();
    const t = transfers.get(m.id);
    if (m.op === MESSAGE.BODY) t?.write(m.chunk);
    else if (m.op === MESSAGE.FINISH) t?.end();
    else if (m.op === MESSAGE.CONSUMED) {
      pool.give(m.buffers);
      t?.consumed(m.n);
    }
    else if (m.op === MESSAGE.ABORT) t?.abort();
  };
  return {
    receive,
    sync,
    close() {
      abortAll();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
