// A stand-in guest for test/transport.test.js: a worker that drives the
// package's wasi:http imports (src/worker/wasi/) directly, the way the component
// does, so the tests can reach behaviour the component never exercises
// (a short or overlong body, a body dropped unfinished). Each scenario
// answers with plain data; `drop` plays the guest dropping a resource.
import { parentPort, workerData } from 'node:worker_threads';
import { Channel } from '../../src/worker/channel.js';
import { wasiImports } from '../../src/worker/wasi/index.js';

const channel = new Channel(workerData.port, workerData.signal);
const wasi = wasiImports(channel, { allowedAuthorities: workerData.allowedAuthorities });
const types = wasi['wasi:http/types'];
const clock = wasi['wasi:clocks/monotonic-clock'];
const { poll } = wasi['wasi:io/poll'];
const bytes = (text) => new TextEncoder().encode(text);
const drop = (...resources) => resources.forEach((r) => r[Symbol.dispose]?.());

/** A stream-error as data: its tag, and the http-error-code behind it. */
function streamError(e) {
  if (e?.tag === 'last-operation-failed') return { tag: e.tag, code: types.httpErrorCode(e.val) };
  if (e?.tag === 'closed') return { tag: 'closed' };
  throw e;
}

function send(url, { method = 'get', headers = [], timeouts = {} } = {}) {
  const { host, pathname } = new URL(url);
  const fields = new types.Fields();
  for (const [n, v] of headers) fields.append(n, bytes(v));
  const request = new types.OutgoingRequest(fields);
  request.setMethod({ tag: method });
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority(host);
  request.setPathWithQuery(pathname);
  const body = headers.some(([n]) => n === 'content-length') ? request.body() : null;
  const options = new types.RequestOptions();
  if (timeouts.firstByteMs) options.setFirstByteTimeout(BigInt(timeouts.firstByteMs) * 1_000_000n);
  if (timeouts.betweenBytesMs) options.setBetweenBytesTimeout(BigInt(timeouts.betweenBytesMs) * 1_000_000n);
  const future = wasi['wasi:http/outgoing-handler'].handle(request, options);
  return { future, body, stream: body?.write() };
}

/** Waits for the response: `{ status }` or `{ error }` (an error-code). */
function answer(future) {
  future.subscribe().block();
  const got = future.get();
  return got.val.tag === 'ok' ? { status: got.val.val.status(), response: got.val.val } : { error: got.val.val };
}

/** Reads a stream to its end: `{ received, end }`, `end` being the closing stream-error. */
function readRest(stream) {
  let received = 0;
  for (;;) {
    try {
      const chunk = stream.read(1n << 20n);
      if (chunk.byteLength === 0) stream.subscribe().block();
      received += chunk.byteLength;
    } catch (e) {
      return { received, end: streamError(e) };
    }
  }
}

/** Reads a response's body to its end (see readRest). */
function readAll(response) {
  const body = response.consume();
  const stream = body.stream();
  const read = readRest(stream);
  drop(stream, body);
  return read;
}

const scenarios = {
  'short-finish'(url) {
    const { future, body, stream } = send(url, { method: 'post', headers: [['content-length', '10']] });
    stream.write(bytes('12345'));
    stream.flush();
    stream.subscribe().block(); // the five bytes are on the socket
    drop(stream);
    let finish;
    try {
      types.OutgoingBody.finish(body);
    } catch (e) {
      finish = e;
    }
    const { error } = answer(future);
    drop(future);
    return { finish, error };
  },
  'overlong-write'(url) {
    const { future, body, stream } = send(url, { method: 'post', headers: [['content-length', '3']] });
    let write;
    try {
      stream.write(bytes('12345'));
    } catch (e) {
      write = streamError(e);
    }
    drop(stream, body, future);
    return { write };
  },
  'dropped-body'(url) {
    const { future, body, stream } = send(url, { method: 'post', headers: [['content-length', '10']] });
    stream.write(bytes('12345'));
    stream.flush();
    stream.subscribe().block(); // the five bytes are on the socket
    drop(stream, body);
    const { error } = answer(future);
    drop(future);
    return { error };
  },
  'read-after-close'(url) {
    const { future } = send(url);
    const { status, response } = answer(future);
    const read = readAll(response);
    drop(response, future);
    return { status, ...read };
  },
  'response-error'(url, timeouts) {
    const { future } = send(url, { timeouts });
    const { error } = answer(future);
    drop(future);
    return { error };
  },
  'body-timeout'(url, timeouts) {
    const { future } = send(url, { timeouts });
    const { response } = answer(future);
    const read = readAll(response);
    drop(response, future);
    return read;
  },
  'denied'(url) {
    try {
      send(url);
    } catch (e) {
      return { denied: e };
    }
    return { denied: null };
  },
  // The guest's way of writing a large body: from one buffer it refills after
  // every write (its linear memory), in writes as large as check-write grants.
  'reused-buffer-body'(url) {
    const total = 5 * (1 << 20) + 12345;
    const { future, body, stream } = send(url, { method: 'post', headers: [['content-length', String(total)]] });
    const memory = new Uint8Array(1 << 20);
    let sent = 0;
    while (sent < total) {
      const grant = Number(stream.checkWrite());
      if (grant === 0) {
        stream.subscribe().block();
        continue;
      }
      const n = Math.min(grant, memory.length, total - sent);
      for (let i = 0; i < n; i += 1) memory[i] = (sent + i) % 251; // the byte at offset k is k % 251
      stream.write(memory.subarray(0, n));
      memory.fill(0xff, 0, n); // reused at once: what was written must not change
      sent += n;
    }
    stream.flush();
    stream.subscribe().block();
    drop(stream);
    types.OutgoingBody.finish(body);
    const { status } = answer(future);
    drop(future);
    return { status, sent };
  },
  // A body written to its declared length: its flush is complete at once
  // (before anything reached the other thread), and the server gets it whole.
  'whole-flush'(url) {
    const { future, body, stream } = send(url, { method: 'post', headers: [['content-length', '5']] });
    stream.write(bytes('12345'));
    stream.flush();
    const flushedAtOnce = stream.subscribe().ready();
    drop(stream);
    types.OutgoingBody.finish(body);
    const { status } = answer(future);
    drop(future);
    return { flushedAtOnce, status };
  },
  // A complete request (no body, or its body finished) goes out before the
  // guest next waits: busy for a while without waiting, it finds its answer in.
  'sent-before-wait'(url) {
    const busy = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const get = send(url);
    busy();
    const getAnswered = get.future.subscribe().ready();
    const post = send(url, { method: 'post', headers: [['content-length', '5']] });
    post.stream.write(bytes('12345'));
    drop(post.stream);
    types.OutgoingBody.finish(post.body);
    busy();
    const postAnswered = post.future.subscribe().ready();
    for (const { future } of [get, post]) {
      answer(future);
      drop(future);
    }
    return { getAnswered, postAnswered };
  },
  // The first bytes of a body the server sends in two parts, a while apart:
  // how many came, and how long after the response they could be read.
  'first-bytes'(url) {
    const { future } = send(url);
    const { response } = answer(future);
    const t0 = clock.now();
    const body = response.consume();
    const stream = body.stream();
    let first = stream.read(1n << 20n);
    if (first.byteLength === 0) {
      stream.subscribe().block();
      first = stream.read(1n << 20n);
    }
    const afterMs = Number(clock.now() - t0) / 1e6;
    const rest = readRest(stream);
    drop(stream, body, response, future);
    return { first: first.byteLength, afterMs, total: first.byteLength + rest.received };
  },
  'clock'() {
    const t0 = clock.now();
    const soon = clock.subscribeDuration(50_000_000n);
    const later = clock.subscribeInstant(t0 + 500_000_000n);
    const ready = poll([later, soon]);
    return { ready: [...ready], elapsedMs: Number(clock.now() - t0) / 1e6 };
  },
};

parentPort.on('message', ({ name, url, timeouts }) => {
  let result;
  try {
    result = scenarios[name](url, timeouts);
  } catch (e) {
    result = { thrown: String(e?.stack ?? JSON.stringify(e)) };
  } finally {
    channel.abortAll();
  }
  parentPort.postMessage(result);
});
