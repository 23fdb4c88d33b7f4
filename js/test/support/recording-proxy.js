// A pass-through in front of the real gateway that records what reached it:
// the drop-in tests assert on the requests the gateway received (none, for a
// write that must be skipped), not on a stubbed fetch.
import http from 'node:http';

/** Forwards every request to `target` (an origin); `requests` holds `{ method, path, headers, body, status }`. */
export async function startRecordingProxy(target) {
  const requests = [];
  const upstream = new URL(target);
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const record = { method: req.method, path: req.url, headers: req.headers, body: body.toString() };
    requests.push(record);
    const fwd = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false,
    }, (up) => {
      record.status = up.statusCode;
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    fwd.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
