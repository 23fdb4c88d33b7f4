// Performs the HTTP exchanges of one client's component with node:http and
// node:https (on Bun, warm ones with fetch: fetch-transfer.js), on the thread
// that opened the client, and streams them to the worker over a MessagePort
// (the worker's end is ../worker/channel.js; the messages are named in
// ../shared/protocol.js, and the exchange described in
// ../worker/wasi/exchange.js), or to the component on this thread
// (../caller/channel.js).
//
// Why this thread and not one of our own: the work per message is a copy
// into a pooled buffer and a postMessage (buffers are transferred, not
// cloned), so it costs the caller's event loop little, and the sockets then live where the client's lifetime is
// managed: close() destroys them directly (fetch's idle connections are Bun's
// own pool's, and hold nothing), and an idle client holds no
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
import { MESSAGE, PART, unpack } from '../shared/protocol.js';
import { BackgroundSync } from './background-sync.js';
import { FetchTransfer, MAX_BODY } from './fetch-transfer.js';
import { runBlockingFs } from './host-fs.js';
import { STALE, networkErrorCode } from './network-errors.js';
import { Outbox } from './outbox.js';
import { RequestAcks } from './request-acks.js';
import { ResponseFeed, giveBack } from './response-feed.js';

/** An idle kept-alive connection is closed after this long (undici's default is 4 s too). */
const IDLE_MS = 4000;

/** One request and its response, made with node:http. */
class Transfer {
  #id;
  #forget;
  #reached;
  #req;
  #res = null;
  #requestOpen = true; // body still being sent
  #responseOpen = true; // body still being received
  #over = false;
  #timers = {};
  #betweenBytesMs;
  #acks; // of request bytes on the socket
  #feed; // the response body, on its way to the guest
  #paused = false;
  #spec;
  #outbox;

  /**
   * `outbox.post(message, transfer)` reaches the worker; `agent` pools the
   * connections; `reached()` is called when the server answers, `forget()`
   * once the exchange is over.
   */
  constructor(spec, outbox, agent, reached, forget) {
    this.#id = spec.id;
    this.#reached = reached;
    this.#outbox = outbox;
    this.#forget = forget;
    this.#spec = spec;
    this.#feed = new ResponseFeed(spec.id, outbox);
    this.#acks = new RequestAcks(spec.id, outbox, () => this.#over);
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
      this.#acks.add(bytes.byteLength, chunk.buffer); // on the socket: the worker may reuse it
    });
  }

  end() {
    this.#acks.bodyEnded();
    if (!this.#over) this.#req.end();
  }

  /** The guest read `n` more bytes: let the socket go again once it is well behind. */
  consumed(n) {
    if (this.#feed.consumed(n) && this.#paused && !this.#over) {
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
    this.#reached();
    this.#disarm('connect');
    this.#disarm('firstByte');
    // Status and headers exactly as received (rawHeaders keeps names, order and repeats).
    this.#outbox.post({ id: this.#id, type: MESSAGE.RESPONSE, status: res.statusCode, headers: res.rawHeaders });
    this.#armBetweenBytes();
    res.on('data', (chunk) => this.#data(chunk));
    res.on('end', () => {
      this.#responseOpen = false;
      this.#disarm('betweenBytes');
      this.#feed.flush();
      if (!this.#over) this.#outbox.post({ id: this.#id, type: MESSAGE.END });
      this.#outbox.flush(); // nothing more will come for it: the guest need not wait for the turn to end
      this.#settleIfDone();
    });
    res.on('error', (e) => this.#fail(networkErrorCode(e)));
    res.on('close', () => { if (this.#responseOpen) this.#fail({ tag: 'connection-terminated' }); });
  }

  #data(chunk) {
    if (this.#over) return;
    if (this.#feed.push(chunk)) {
      this.#paused = true;
      this.#res.pause();
      this.#disarm('betweenBytes'); // waiting for the guest is not a stalled server
    } else {
      this.#armBetweenBytes();
    }
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
        this.#outbox.post({ id: this.#id, type: MESSAGE.FAIL, code, part: PART.REQUEST });
      }
      this.#settleIfDone();
      return;
    }
    this.#feed.flush(); // what arrived is delivered before the failure
    this.#outbox.post({ id: this.#id, type: MESSAGE.FAIL, code });
    this.#outbox.flush();
    this.abort();
  }

  #settleIfDone() {
    if (!this.#requestOpen && !this.#responseOpen) this.#close();
  }

  #close() {
    if (this.#over) return;
    this.#over = true;
    this.#feed.release();
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

/** Whether `fetch` takes the proxy environment variables that node:http ignores (Bun's does). */
const PROXIED = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'].some((k) => process.env[k]);
const BUN_FETCH = typeof globalThis.Bun !== 'undefined' && typeof globalThis.fetch === 'function' && !PROXIED;

/**
 * Whether request `m` goes by Bun's fetch (see fetch-transfer.js): on Bun,
 * to an origin that answered within IDLE_MS (so a connection is most likely
 * open and its connect phase needs no timeout of its own), with no body or a
 * declared one of at most MAX_BODY bytes. node:http otherwise, and on Node.
 */
function viaFetch(m, lastAnswer) {
  if (!BUN_FETCH || lastAnswer === undefined || Date.now() - lastAnswer > IDLE_MS) return false;
  if (!m.hasBody) return true;
  const length = m.headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1];
  return length !== undefined && /^[0-9]{1,7}$/.test(length) && Number(length) <= MAX_BODY;
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
  const answered = new Map(); // origin → when it last answered (Date.now())
  const abortAll = () => { for (const t of [...transfers.values()]) t.abort(); };
  const sync = new BackgroundSync();
  const receive = (m) => {
    // The worker's files, not HTTP: see background-sync.js.
    if (m.op === MESSAGE.WRITE_BACK) return sync.request(m.fd);
    if (m.op === MESSAGE.WRITE_BACK_SETTLE) return sync.settle(m.fd, () => post({ id: m.id, type: MESSAGE.SETTLED }));
    if (m.op === MESSAGE.FS) return runBlockingFs(m, (answer) => { post(answer); outbox.flush(); });
    if (m.op === MESSAGE.REQUEST) {
      const origin = `${m.scheme}://${m.host}:${m.port}`;
      const reached = () => answered.set(origin, Date.now());
      const forget = () => transfers.delete(m.id);
      let t;
      try {
        t = viaFetch(m, answered.get(origin))
          ? new FetchTransfer(m, outbox, reached, forget)
          : new Transfer(m, outbox, agents[m.scheme], reached, forget);
      } catch (e) { // the client refused the request itself
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
      giveBack(m.buffers);
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
