// wasi:http/types: the resources of an outgoing request and its response.
// Requests and responses are plain state here; an exchange (exchange.js)
// carries them across to the thread that talks to the network. Only the
// client side exists: the component makes requests, it never serves them.
import { Buffer } from 'node:buffer';
import { Exchange } from './exchange.js';
import { Fields, declaredLength } from './fields.js';

/** What outgoing.js reads off a request (not reachable from the guest). */
export const REQUEST_PARTS = Symbol('request parts');

/** `streams`: from createStreams; `pollable`: from createPoll. */
export function createHttpTypes(channel, { InputStream, OutputStream, IoError, failed }, pollable) {
  class RequestOptions {
    #connect;
    #firstByte;
    #betweenBytes;

    connectTimeout() { return this.#connect; }
    setConnectTimeout(ns) { this.#connect = ns; }
    firstByteTimeout() { return this.#firstByte; }
    setFirstByteTimeout(ns) { this.#firstByte = ns; }
    betweenBytesTimeout() { return this.#betweenBytes; }
    setBetweenBytesTimeout(ns) { this.#betweenBytes = ns; }
  }

  class OutgoingBody {
    #exchange;
    #stream;
    #finished = false;

    constructor(exchange) {
      this.#exchange = exchange;
      exchange.openBody();
      this.#stream = new OutputStream(exchange);
    }

    write() {
      const stream = this.#stream;
      if (!stream) throw undefined;
      this.#stream = null;
      return stream;
    }

    static finish(body, trailers) {
      if (trailers !== undefined) throw { tag: 'internal-error', val: 'request trailers are not supported' };
      body.#finished = true;
      body.#exchange.finish();
    }

    [Symbol.dispose]() {
      if (this.#finished) return;
      this.#finished = true;
      this.#exchange.abandon();
    }
  }

  class OutgoingRequest {
    #headers;
    #method = { tag: 'get' };
    #scheme;
    #authority;
    #path;
    #exchange = null;
    #bodyTaken = false;

    constructor(headers) {
      this.#headers = new Fields(headers.entries(), true);
    }

    #exchangeOf() {
      this.#exchange ??= new Exchange(channel, failed, declaredLength(this.#headers));
      return this.#exchange;
    }

    body() {
      if (this.#bodyTaken) throw undefined;
      this.#bodyTaken = true;
      return new OutgoingBody(this.#exchangeOf());
    }

    method() { return this.#method; }
    setMethod(method) {
      if (method.tag === 'other' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method.val)) throw undefined;
      this.#method = method;
    }

    scheme() { return this.#scheme; }
    setScheme(scheme) {
      if (scheme?.tag === 'other' && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme.val)) throw undefined;
      this.#scheme = scheme;
    }

    authority() { return this.#authority; }
    setAuthority(authority) {
      if (authority !== undefined && !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/.test(authority)) throw undefined;
      this.#authority = authority;
    }

    pathWithQuery() { return this.#path; }
    setPathWithQuery(path) {
      if (path !== undefined && !/^[\x21-\x7e]*$/.test(path)) throw undefined;
      this.#path = path;
    }

    headers() {
      return new Fields(this.#headers.entries(), true);
    }

    [REQUEST_PARTS]() {
      return {
        method: this.#method,
        scheme: this.#scheme,
        authority: this.#authority,
        path: this.#path,
        headers: this.#headers.entries(),
        exchange: this.#exchangeOf(),
      };
    }
  }

  class FutureTrailers {
    #taken = false;

    subscribe() { return pollable(() => true); }
    get() {
      if (this.#taken) return { tag: 'err', val: undefined };
      this.#taken = true;
      return { tag: 'ok', val: { tag: 'ok', val: undefined } }; // no trailers
    }
  }

  class IncomingBody {
    #exchange;
    #streamTaken = false;
    #finished = false;

    constructor(exchange) {
      this.#exchange = exchange;
      exchange.retain();
    }

    stream() {
      if (this.#streamTaken) throw undefined;
      this.#streamTaken = true;
      const exchange = this.#exchange;
      exchange.retain();
      return new InputStream(exchange, () => exchange.release());
    }

    static finish(body) {
      if (!body.#finished) {
        body.#finished = true;
        body.#exchange.release();
      }
      return new FutureTrailers();
    }

    [Symbol.dispose]() {
      IncomingBody.finish(this);
    }
  }

  class IncomingResponse {
    #exchange;
    #status;
    #headers;
    #consumed = false;

    /** `head`: `{ status, headers }`, headers as Node's rawHeaders (name, value, …). */
    constructor(exchange, head) {
      this.#exchange = exchange;
      exchange.retain();
      this.#status = head.status;
      this.#headers = [];
      for (let i = 0; i < head.headers.length; i += 2) {
        this.#headers.push([head.headers[i], Buffer.from(head.headers[i + 1], 'latin1')]);
      }
    }

    status() { return this.#status; }

    /** A new child resource per call (the guest drops each one). */
    headers() { return new Fields(this.#headers, true); }

    consume() {
      if (this.#consumed) throw undefined;
      this.#consumed = true;
      return new IncomingBody(this.#exchange);
    }

    [Symbol.dispose]() {
      this.#exchange.release();
    }
  }

  class FutureIncomingResponse {
    #exchange;
    #taken = false;

    constructor(exchange) {
      this.#exchange = exchange;
      exchange.retain();
    }

    subscribe() {
      const exchange = this.#exchange;
      return pollable(() => exchange.responseReady());
    }

    get() {
      if (this.#taken) return { tag: 'err', val: undefined };
      const outcome = this.#exchange.outcome();
      if (outcome === null) return undefined;
      this.#taken = true;
      if (outcome.failure) return { tag: 'ok', val: { tag: 'err', val: outcome.failure } };
      return { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(this.#exchange, outcome.response) } };
    }

    [Symbol.dispose]() {
      this.#exchange.release();
    }
  }

  return {
    types: {
      Fields,
      FutureIncomingResponse,
      FutureTrailers,
      IncomingBody,
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      RequestOptions,
      httpErrorCode: (e) => IoError.httpErrorCode(e),
    },
    FutureIncomingResponse,
  };
}
