// A small in-process mock gateway. It runs on the test's own event loop on
// purpose: the component runs in a worker thread, so a gateway served by the
// caller's thread must keep working during a call (the deadlock HOSTS.md
// describes for a component on the main thread).
import http from 'node:http';

/**
 * `reply(request)` returns `{ status, body, headers, delayMs }` (all optional).
 * Every request is recorded in `requests` as `{ method, path, headers, body }`.
 */
export async function startGateway(reply = () => ({})) {
  const requests = [];
  const timers = new Set(); // pending delays, cleared on close so they cannot hold the process
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const request = { method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
    requests.push(request);
    const { status = 200, body = '', headers = {}, delayMs = 0 } = (await reply(request)) ?? {};
    if (delayMs) {
      await new Promise((r) => timers.add(setTimeout(r, delayMs)));
      if (!server.listening) return;
    }
    res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    authority: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
