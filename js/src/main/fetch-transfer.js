// One HTTP exchange made with Bun's `fetch` instead of node:http: the same
// messages to and from the guest as http-host.js's Transfer, for the requests
// http-host.js's `viaFetch` picks. Why: on Bun, node:http is a JavaScript layer
// whose socket writes wait for the current task to end and whose responses
// pass through streams and events on this thread, while `fetch` is native and
// works on Bun's own HTTP thread. A warm 1.3 KB hydrate took 0.1 ms less, a
// write 0.05 ms less (bench/README.md, "Warm calls on Node and Bun").
//
// What differs from node:http, and why it is kept to warm requests with small
// bodies: a body is sent whole once the guest has finished it (so it is
// buffered, at most MAX_BODY bytes); the connect phase is not timed on its own
// (the first-byte timeout runs from the call); repeated response headers
// arrive joined with ", ", as the Fetch standard has them; and of a body cut
// short, the bytes before the failure may not be delivered.
import { Buffer } from 'node:buffer';
import { MESSAGE } from '../shared/protocol.js';
import { STALE, networkErrorCode } from './network-errors.js';
import { RequestAcks } from './request-acks.js';
import { ResponseFeed } from './response-feed.js';

/**
 * The largest request body sent this way (a 1.3 KB write's is ~1.4 KB).
 * Larger ones go by node:http, which sends them while the guest is still
 * escaping them: sent whole by fetch, a 633 KB write took 0.15–0.3 ms longer.
 */
export const MAX_BODY = 64 << 10;

export class FetchTransfer {
  #id;
  #spec;
  #outbox;
  #reached;
  #forget;
  #feed;
  #body = []; // copies of the request body's chunks, sent whole at `end`
  #acks;
  #controller = new AbortController();
  #timer = null;
  #timerMs = 0;
  #reader = null;
  #resume = null; // wakes a read loop paused until the guest catches up
  #over = false;
  #resent = false;

  /** `reached()` is called when the server answers; `forget()` once the exchange is over. */
  constructor(spec, outbox, reached, forget) {
    this.#id = spec.id;
    this.#spec = spec;
    this.#outbox = outbox;
    this.#reached = reached;
    this.#forget = forget;
    this.#feed = new ResponseFeed(spec.id, outbox);
    this.#acks = new RequestAcks(spec.id, outbox, () => this.#over);
    if (!spec.hasBody) this.#send();
  }

  get over() {
    return this.#over;
  }

  // ---- from the guest ------------------------------------------------------------

  /** Request-body bytes: copied, so their buffers go back to the guest at the end of this turn. */
  write(chunk) {
    if (this.#over) return;
    this.#body.push(Buffer.from(chunk));
    this.#acks.add(chunk.byteLength, chunk.buffer);
  }

  end() {
    this.#acks.bodyEnded();
    if (!this.#over) this.#send();
  }

  consumed(n) {
    if (!this.#feed.consumed(n)) return;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  abort() {
    this.#close();
    this.#controller.abort();
    this.#reader?.cancel().catch(() => {});
    this.#resume?.();
  }

  // ---- the exchange ----------------------------------------------------------------

  async #send() {
    const s = this.#spec;
    const body = this.#body.length === 0 ? undefined : Buffer.concat(this.#body);
    this.#body = [];
    const host = s.host.includes(':') ? `[${s.host}]` : s.host;
    this.#arm(s.firstByteMs);
    let res;
    try {
      res = await fetch(`${s.scheme}://${host}:${s.port}${s.path}`, {
        method: s.method,
        headers: s.headers,
        body,
        redirect: 'manual', // the guest sees what the server said, as with node:http
        decompress: false, // and the bytes it sent (nor does Bun then ask for compression)
        signal: this.#controller.signal,
      });
    } catch (e) {
      // The kept-alive connection fetch picked was closed by the server: a
      // request without a body goes once more (fetch drops that connection).
      if (!s.hasBody && !this.#resent && !this.#over && STALE.has(e?.code)) {
        this.#resent = true;
        this.#send();
        return;
      }
      this.#fail(networkErrorCode(e));
      return;
    }
    if (this.#over) {
      res.body?.cancel().catch(() => {});
      return;
    }
    this.#reached();
    const headers = [];
    for (const [name, value] of res.headers) headers.push(name, value);
    this.#outbox.post({ id: this.#id, type: MESSAGE.RESPONSE, status: res.status, headers });
    // Sent now, and each chunk as it comes, not at the end of the turn:
    // while a body streams in, Bun may hold setImmediate callbacks (the
    // outbox's end of turn) until it is complete, and the guest would start
    // on it only then.
    this.#outbox.flush();
    this.#reader = res.body?.getReader() ?? null;
    try {
      while (this.#reader !== null) {
        this.#arm(s.betweenBytesMs);
        const { done, value } = await this.#reader.read();
        if (this.#over) return;
        if (done) break;
        const behind = this.#feed.push(value);
        this.#outbox.flush();
        if (behind) {
          this.#disarm(); // waiting for the guest is not a stalled server
          await new Promise((resolve) => { this.#resume = resolve; });
          if (this.#over) return;
        }
      }
    } catch (e) {
      this.#fail(networkErrorCode(e));
      return;
    }
    this.#disarm();
    this.#feed.flush();
    this.#outbox.post({ id: this.#id, type: MESSAGE.END });
    this.#outbox.flush(); // nothing more will come for it: the guest need not wait for the turn to end
    this.#close();
  }

  /** Reports a failure to the guest (once), after what had arrived, and ends the exchange. */
  #fail(code) {
    if (this.#over) return;
    this.#feed.flush();
    this.#outbox.post({ id: this.#id, type: MESSAGE.FAIL, code });
    this.#outbox.flush();
    this.abort();
  }

  #close() {
    if (this.#over) return;
    this.#over = true;
    this.#disarm();
    this.#feed.release();
    this.#forget();
  }

  /** A backstop behind the guest's own timers, as http-host.js's are. */
  #arm(ms) {
    if (this.#timer !== null && this.#timerMs === ms) {
      this.#timer.refresh(); // once per chunk: cheaper than a new timer
      return;
    }
    this.#disarm();
    this.#timerMs = ms;
    this.#timer = setTimeout(() => this.#fail({ tag: 'connection-read-timeout' }), ms);
    this.#timer.unref();
  }

  #disarm() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
