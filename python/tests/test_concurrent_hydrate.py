"""Concurrent hydrates of one session file never mix their bodies: each call
stages into its own file and renames it over the session file whole. Eight
threads race with distinct, slowly sent bodies while a watcher thread reads the
session file over and over; every read must be one complete body (or the
original), the file must end as the body of a call that reported `hydrated`,
and no staging file may remain."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import transcript_snapshot as ts

CALLS = 8
SIZE = 2 * 1024 * 1024
CHUNK = 64 * 1024
SESSION = "/workspace/.openclaw/session.jsonl"


def body(i: int) -> bytes:
    """Body i: its own line repeated, i bytes longer than body 0, so a call's
    reported size names the body it received."""
    line = ('{"call":%d,"text":"%s"}\n' % (i, "x" * (40 + i))).encode()
    return (line * (SIZE // len(line) + 1))[: SIZE + i]


def slow_gateway(bodies):
    """Request n gets body n % CALLS, in small chunks with a pause between
    them, so the calls' downloads overlap."""
    served = iter(range(1 << 30))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with lock:
                b = bodies[next(served) % CALLS]
            self.send_response(200)
            self.send_header("content-type", "application/x-ndjson")
            self.send_header("content-length", str(len(b)))
            self.send_header("connection", "close")
            self.end_headers()
            for at in range(0, len(b), CHUNK):
                self.wfile.write(b[at:at + CHUNK])
                self.wfile.flush()
                time.sleep(0.005)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_eight_concurrent_hydrates_never_mix_bodies(tmp_path):
    bodies = [body(i) for i in range(CALLS)]
    server = slow_gateway(bodies)
    url = "http://127.0.0.1:%d" % server.server_address[1]
    (tmp_path / ".openclaw").mkdir()
    file = tmp_path / ".openclaw/session.jsonl"
    original = b'{"type":"session","id":"original"}\n' * 1000
    file.write_bytes(original)
    client = ts.SnapshotClient(preopens={"/workspace": str(tmp_path)})

    # The watcher: every read of the session file is one whole version.
    racing = threading.Event()
    racing.set()
    reads, bad = [0], []

    def watch():
        while racing.is_set():
            seen = file.read_bytes()
            reads[0] += 1
            if seen != original and seen not in bodies:
                bad.append(len(seen))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(CALLS) as pool:
            outcomes = list(pool.map(
                lambda _: client.hydrate(ts.Gateway(url, "concurrent-token"), SESSION),
                range(CALLS)))
    finally:
        racing.clear()
        watcher.join()
        server.shutdown()
        server.server_close()

    assert bad == [], f"reads of {bad} bytes were no single body"
    assert reads[0] > 0
    assert all(isinstance(o, ts.Hydrated) for o in outcomes), outcomes
    # Every body was served once, so each call reports a distinct size.
    assert sorted(o.bytes for o in outcomes) == [len(b) for b in bodies]
    last = file.read_bytes()
    assert last in bodies, "the file ends as no call's body"
    assert len(last) in {o.bytes for o in outcomes}
    assert sorted(p.name for p in (tmp_path / ".openclaw").iterdir()) == ["session.jsonl"], \
        "a staging file remains"
