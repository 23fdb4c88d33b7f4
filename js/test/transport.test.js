// The package's own wasi:http transport (src/worker/wasi/, src/main/http-host.js) where
// the component cannot take it: a body shorter or longer than declared, a
// body dropped unfinished, a read after the server hung up, the request
// options' timeouts, the allow-list, and the clock the guest's timers use.
// A stand-in guest (support/transport-guest.js) makes the WASI calls.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { serveHttp } from '../src/main/http-host.js';
import { Outbox } from '../src/main/outbox.js';
import { MESSAGE } from '../src/shared/protocol.js';

/** A worker playing the guest, its HTTP served on this thread. */
function guest(allowedAuthorities) {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const worker = new Worker(new URL('./support/transport-guest.js', import.meta.url), {
    workerData: { port: port2, signal, allowedAuthorities }, transferList: [port2],
  });
  const host = serveHttp(port1, signal);
  return {
    run: (name, url, timeouts) => new Promise((resolve, reject) => {
      const onError = (e) => { worker.off('message', onMessage); reject(e); };
      const onMessage = (m) => { worker.off('error', onError); resolve(m); };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ name, url, timeouts });
    }),
    close: async () => { host.close(); await worker.terminate(); },
  };
}

/** An HTTP server recording whether each request body arrived whole. */
async function recordingServer() {
  const bodies = [];
  const server = http.createServer((req, res) => {
    let received = 0;
    req.on('data', (c) => { received += c.length; });
    req.on('end', () => { bodies.push({ received, complete: true }); res.end('ok'); });
    req.on('aborted', () => bodies.push({ received, complete: false }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/x`, bodies, close: () => server.close() };
}

/** A raw TCP server answering every connection with `reply(socket)`. */
async function rawServer(reply) {
  let connections = 0;
  const server = net.createServer((socket) => { connections += 1; socket.on('error', () => {}); reply(socket); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/x`,
    connections: () => connections,
    close: () => { server.close(); },
  };
}

/** An HTTP server counting connections and requests; `answer(req, res, nth)`, nth counting per connection from 1. */
async function countingServer(answer) {
  let connections = 0;
  let requests = 0;
  const perSocket = new WeakMap();
  const server = http.createServer((req, res) => {
    requests += 1;
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    answer(req, res, nth);
  });
  server.on('connection', () => { connections += 1; });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/x`,
    counts: () => ({ connections, requests }),
    close: () => { server.closeAllConnections(); server.close(); },
  };
}

const BUN = typeof globalThis.Bun !== 'undefined';

/** A server whose `nth` request (from 1, over all connections) gets `answer(req, res, nth)`; it records each request's user-agent and body. */
async function nthServer(answer) {
  const seen = [];
  const s = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      seen.push({ agent: req.headers['user-agent'] ?? null, body: Buffer.concat(parts).toString() });
      answer(req, res, seen.length);
    });
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${s.address().port}/x`, seen, close: () => { s.closeAllConnections(); s.close(); } };
}

const waitFor = async (test) => { for (let i = 0; i < 100 && !test(); i += 1) await new Promise((r) => setTimeout(r, 20)); };

describe('wasi:http transport', () => {
  let g;
  before(() => { g = guest(); });
  after(() => g.close());

  it('sends a large body exactly, though the guest reuses its buffer after every write', async () => {
    let received = null;
    const server = http.createServer((req, res) => {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => { received = Buffer.concat(parts); res.end('ok'); });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { status, sent } = await g.run('reused-buffer-body', `http://127.0.0.1:${server.address().port}/x`);
      assert.equal(status, 200);
      assert.equal(received.length, sent);
      const wrong = received.findIndex((b, k) => b !== k % 251);
      assert.equal(wrong, -1, `byte ${wrong} differs from what the guest wrote`);
    } finally {
      server.close();
    }
  });

  it('fails finish on a body shorter than declared, and the server never gets it whole', async () => {
    const server = await recordingServer();
    try {
      const { finish, error } = await g.run('short-finish', server.url);
      assert.deepEqual(finish, { tag: 'HTTP-request-body-size', val: 5n });
      assert.deepEqual(error, { tag: 'HTTP-request-body-size', val: 5n });
      await waitFor(() => server.bodies.length > 0);
      assert.deepEqual(server.bodies, [{ received: 5, complete: false }]);
    } finally {
      server.close();
    }
  });

  it('refuses a write past the declared length', async () => {
    const server = await recordingServer();
    try {
      const { write } = await g.run('overlong-write', server.url);
      assert.deepEqual(write, { tag: 'last-operation-failed', code: { tag: 'HTTP-request-body-size', val: 5n } });
    } finally {
      server.close();
    }
  });

  it('aborts the request when its body is dropped unfinished', async () => {
    const server = await recordingServer();
    try {
      const { error } = await g.run('dropped-body', server.url);
      assert.deepEqual(error, { tag: 'HTTP-protocol-error' });
      await waitFor(() => server.bodies.length > 0);
      assert.deepEqual(server.bodies, [{ received: 5, complete: false }]);
    } finally {
      server.close();
    }
  });

  it('delivers what arrived, then the failure, when the server hangs up mid-body', async () => {
    const server = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789', () => s.destroy()));
    try {
      const got = await g.run('read-after-close', server.url);
      assert.deepEqual(got, {
        status: 200, received: 10, end: { tag: 'last-operation-failed', code: { tag: 'connection-terminated' } },
      });
    } finally {
      server.close();
    }
  });

  it('maps a refused connection and a silent server to error-codes', async () => {
    const closed = await rawServer(() => {});
    closed.close();
    assert.deepEqual(await g.run('response-error', closed.url), { error: { tag: 'connection-refused' } });
    const silent = await rawServer(() => {});
    try {
      const t0 = performance.now();
      const got = await g.run('response-error', silent.url, { firstByteMs: 200 });
      assert.deepEqual(got, { error: { tag: 'connection-read-timeout' } });
      assert.ok(performance.now() - t0 < 2000);
    } finally {
      silent.close();
    }
  });

  it('fails a body that stalls longer than between-bytes-timeout', async () => {
    const server = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123'));
    try {
      const got = await g.run('body-timeout', server.url, { betweenBytesMs: 200 });
      assert.deepEqual(got, { received: 4, end: { tag: 'last-operation-failed', code: { tag: 'connection-read-timeout' } } });
    } finally {
      server.close();
    }
  });

  it('completes the flush of a body written to its declared length at once, and sends it whole', async () => {
    const server = await recordingServer();
    try {
      assert.deepEqual(await g.run('whole-flush', server.url), { flushedAtOnce: true, status: 200 });
      assert.deepEqual(server.bodies, [{ received: 5, complete: true }]);
    } finally {
      server.close();
    }
  });

  it('sends a complete request before the guest next waits', async () => {
    const server = await recordingServer();
    try {
      assert.deepEqual(await g.run('sent-before-wait', server.url), { getAnswered: true, postAnswered: true });
      assert.deepEqual(server.bodies, [{ received: 0, complete: true }, { received: 5, complete: true }]);
    } finally {
      server.close();
    }
  });

  // On Bun, a request to a server that has answered goes by fetch, which
  // keeps connections of its own: the first request's node:http connection
  // is then left to idle out, and fetch's is the one kept alive.
  it('keeps a connection alive from one request to the next', async () => {
    const server = await countingServer((req, res) => res.end('0123456789'));
    try {
      for (let i = 0; i < 4; i += 1) {
        assert.deepEqual(await g.run('read-after-close', server.url), { status: 200, received: 10, end: { tag: 'closed' } });
      }
      assert.deepEqual(server.counts(), { connections: BUN ? 2 : 1, requests: 4 });
    } finally {
      server.close();
    }
  });

  it('sends a request without a body again, on a new connection, when the server closed the kept-alive one', async () => {
    // Every connection's second request is met with a hang-up: what a client
    // sees when the server closes an idle connection just as it is reused.
    // (On Bun the second request opens fetch's first connection: the third meets the hang-up.)
    const server = await countingServer((req, res, nth) => (nth === 1 ? res.end('0123456789') : req.socket.destroy()));
    try {
      for (let i = 0; i < (BUN ? 3 : 2); i += 1) {
        assert.deepEqual(await g.run('read-after-close', server.url), { status: 200, received: 10, end: { tag: 'closed' } });
      }
      assert.deepEqual(server.counts(), BUN ? { connections: 3, requests: 4 } : { connections: 2, requests: 3 });
    } finally {
      server.close();
    }
  });

  it('delivers a body\'s bytes as they come, not once it is complete', async () => {
    const s = await nthServer((req, res, nth) => {
      if (nth === 1) return res.end('ok');
      res.writeHead(200, { 'content-length': 20 }).write('0123456789');
      setTimeout(() => res.end('abcdefghij'), 1000);
    });
    try {
      await g.run('read-after-close', s.url); // (on Bun, the next request goes by fetch)
      const got = await g.run('first-bytes', s.url);
      assert.deepEqual({ ...got, afterMs: undefined }, { first: 10, afterMs: undefined, total: 20 });
      assert.ok(got.afterMs < 500, `the first bytes came after ${got.afterMs} ms`);
    } finally {
      s.close();
    }
  });

  it('fires clock pollables on time, earliest first', async () => {
    const { ready, elapsedMs } = await g.run('clock');
    assert.deepEqual(ready, [1]);
    assert.ok(elapsedMs >= 50 && elapsedMs < 150, `woke after ${elapsedMs} ms`);
  });

  it('denies an authority off the allow-list without connecting', async () => {
    const server = await rawServer((s) => s.destroy());
    const denying = guest(['127.0.0.1:1']);
    try {
      assert.deepEqual(await denying.run('denied', server.url), { denied: { tag: 'HTTP-request-denied' } });
      assert.equal(server.connections(), 0);
    } finally {
      await denying.close();
      server.close();
    }
  });
});

// On Bun, once a server has answered, its next requests go by fetch
// (src/main/fetch-transfer.js): the same guarantees, checked on that path.
(BUN ? describe : describe.skip)('wasi:http transport by fetch (Bun)', () => {
  let g;
  before(() => { g = guest(); });
  after(() => g.close());

  it('sends a small body whole once finished, and nothing of a body dropped unfinished', async () => {
    const s = await nthServer((req, res) => res.end('ok'));
    try {
      await g.run('read-after-close', s.url); // the server answers: fetch from now on
      assert.deepEqual(await g.run('whole-flush', s.url), { flushedAtOnce: true, status: 200 });
      assert.deepEqual(await g.run('dropped-body', s.url), { error: { tag: 'HTTP-protocol-error' } });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(s.seen.map((r) => [r.agent?.startsWith('Bun/') ?? false, r.body]), [[false, ''], [true, '12345']]);
    } finally {
      s.close();
    }
  });

  it('maps a server gone since it answered to connection-refused (its kept-alive connection is tried, then a new one)', async () => {
    const s = await nthServer((req, res) => res.end('ok'));
    await g.run('read-after-close', s.url);
    await g.run('read-after-close', s.url); // fetch's own connection, kept alive
    s.close();
    assert.deepEqual(await g.run('response-error', s.url), { error: { tag: 'connection-refused' } });
    assert.deepEqual(s.seen.map((r) => r.agent?.startsWith('Bun/') ?? false), [false, true]);
  });

  it('times out a request the server does not answer, and a body that stalls', async () => {
    const s = await nthServer((req, res, nth) => {
      if (nth === 1) res.end('ok');
      else if (nth === 3) res.writeHead(200, { 'content-length': 100 }).write('0123');
      // the second is never answered
    });
    try {
      await g.run('read-after-close', s.url);
      const t0 = performance.now();
      assert.deepEqual(await g.run('response-error', s.url, { firstByteMs: 200 }), { error: { tag: 'connection-read-timeout' } });
      assert.ok(performance.now() - t0 < 2000);
      assert.deepEqual(await g.run('body-timeout', s.url, { betweenBytesMs: 200 }), {
        received: 4, end: { tag: 'last-operation-failed', code: { tag: 'connection-read-timeout' } },
      });
    } finally {
      s.close();
    }
  });

  it('delivers a body larger than the receive window whole, and fails one cut short', async () => {
    const big = Buffer.alloc(20 << 20, 7);
    const s = await nthServer((req, res, nth) => {
      if (nth <= 2) res.end(nth === 1 ? 'ok' : big);
      else res.writeHead(200, { 'content-length': 100 }).end('0123456789', () => req.socket.destroy());
    });
    try {
      await g.run('read-after-close', s.url);
      assert.deepEqual(await g.run('read-after-close', s.url), { status: 200, received: big.length, end: { tag: 'closed' } });
      // (fetch may hold back the bytes that came before the hang-up: at most what was sent)
      const cut = await g.run('read-after-close', s.url);
      assert.ok(cut.received <= 10);
      assert.deepEqual({ ...cut, received: 0 }, {
        status: 200, received: 0, end: { tag: 'last-operation-failed', code: { tag: 'connection-terminated' } },
      });
      assert.deepEqual(s.seen.map((r) => r.agent?.startsWith('Bun/') ?? false), [false, true, true]);
    } finally {
      s.close();
    }
  });
});

describe('outbox to the worker', () => {
  it("sends one turn's messages as one batch with one wake-up, and a quiet message without one", async () => {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const wakes = () => Atomics.load(new Int32Array(signal), 0);
    const outbox = new Outbox(port1, signal);
    try {
      outbox.post({ id: 1, type: MESSAGE.RESPONSE });
      outbox.post({ id: 1, type: MESSAGE.END });
      assert.equal(receiveMessageOnPort(port2), undefined, 'nothing goes before the turn ends');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(receiveMessageOnPort(port2)?.message, { batch: [{ id: 1, type: MESSAGE.RESPONSE }, { id: 1, type: MESSAGE.END }] });
      assert.equal(wakes(), 1);
      outbox.post({ id: 1, type: MESSAGE.ACK }, undefined, true);
      outbox.flush();
      assert.deepEqual(receiveMessageOnPort(port2)?.message, { id: 1, type: MESSAGE.ACK });
      assert.equal(wakes(), 1, 'a quiet message wakes nobody');
    } finally {
      port1.close();
    }
  });
});
