// The warm benchmark's stand-in gateway, run as its own process (under node)
// so it never competes with the clients for their event loop, as a remote
// gateway would not. `/s<SIZE>/worker/transcript/snapshot`: GET answers a
// JSONL snapshot of exactly SIZE bytes (shaped like the reference gateway's,
// see bench/src/data.rs), POST drains the body, DELETE answers 200.
// `/v<SIZE>/…` is the same snapshot from a gateway with snapshot versions: GET
// sends an `etag` and answers `if-none-match` naming it with 304 and no body.
// `GET /stats` reports the POSTs drained, so the bench can check that every
// write (the reference's and the drop-in's resolve with nothing) was sent.
// Prints `listening PORT` when ready.
import { createHash } from 'node:crypto';
import http from 'node:http';

const line = (i) => `${JSON.stringify({
  type: 'message', id: `m${i}`, parentId: null, timestamp: '2026-05-18T10:00:01Z',
  message: { role: 'user', content: [{ type: 'text', text: 'résumé ✓ '.repeat(8) }] },
})}\n`;

/** Whole lines, then one ASCII filler line: exactly `size` bytes of UTF-8. */
function snapshot(size) {
  const parts = [];
  let left = size;
  for (let i = 0; ; i += 1) {
    const l = Buffer.from(line(i));
    if (l.length + 9 > left) break;
    parts.push(l);
    left -= l.length;
  }
  parts.push(left >= 9 ? Buffer.from(`{"p":"${'x'.repeat(left - 9)}"}\n`) : Buffer.alloc(left, '\n'));
  return Buffer.concat(parts);
}

const bodies = new Map();
const stats = { posts: 0, bytes: 0 };

const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  const m = /^\/([sv])(\d+)\/worker\/transcript\/snapshot$/.exec(req.url);
  if (!m) { res.writeHead(404).end(); return; }
  if (req.method === 'GET') {
    const size = Number(m[2]);
    if (!bodies.has(size)) {
      const body = snapshot(size);
      bodies.set(size, { body, etag: `"sha256-${createHash('sha256').update(body).digest('base64')}"` });
    }
    const { body, etag } = bodies.get(size);
    if (m[1] === 'v' && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    const versioned = m[1] === 'v' ? { etag } : {};
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': body.length, ...versioned });
    res.end(body);
    return;
  }
  if (req.method === 'POST') {
    let got = 0;
    req.on('data', (c) => { got += c.length; });
    req.on('end', () => {
      stats.posts += 1;
      stats.bytes += got;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: stats.posts, got }));
    });
    return;
  }
  if (req.method === 'DELETE') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"deleted":0}'); return; }
  res.writeHead(405).end();
});
// As a deployed gateway (and undici's default of 4 s on the client side): idle
// keep-alive connections are closed after a while, not at once.
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
// Gone with the bench: it holds our stdin.
process.stdin.on('end', () => process.exit(0)).resume();
