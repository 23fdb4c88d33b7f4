"""Concurrent hydrates of one session file never mix their bodies: each call
stages into its own file and renames it over the session file whole. Eight
calls (threads of one process, or eight processes) race with distinct, slowly
sent bodies while a watcher thread reads the session file over and over; every
read must be one complete body (or the original), the file must end as the
body of a call that reported `hydrated`, and no staging file may remain."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import transcript_snapshot as ts
from repo import PYDIR

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


def race(tmp_path, hydrate_all):
    """Runs `hydrate_all(url, root)`, which makes CALLS concurrent hydrates of
    one file and returns the size each reported as hydrated, while a watcher
    thread checks every read of the file; then checks how the race ended."""
    bodies = [body(i) for i in range(CALLS)]
    server = slow_gateway(bodies)
    url = "http://127.0.0.1:%d" % server.server_address[1]
    (tmp_path / "ws/.openclaw").mkdir(parents=True)
    file = tmp_path / "ws/.openclaw/session.jsonl"
    original = b'{"type":"session","id":"original"}\n' * 1000
    file.write_bytes(original)

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
        hydrated = hydrate_all(url, tmp_path / "ws")
    finally:
        racing.clear()
        watcher.join()
        server.shutdown()
        server.server_close()

    assert bad == [], f"reads of {bad} bytes were no single body"
    assert reads[0] > 0
    # Every body was served once, so each call reports a distinct size.
    assert sorted(hydrated) == [len(b) for b in bodies]
    last = file.read_bytes()
    assert last in bodies, "the file ends as no call's body"
    assert len(last) in hydrated
    assert sorted(p.name for p in (tmp_path / "ws/.openclaw").iterdir()) == ["session.jsonl"], \
        "a staging file remains"


def test_eight_threads_hydrating_one_file_never_mix_bodies(tmp_path):
    def hydrate_all(url, root):
        client = ts.SnapshotClient(preopens={"/workspace": str(root)})
        with ThreadPoolExecutor(CALLS) as pool:
            outcomes = list(pool.map(
                lambda _: client.hydrate(ts.Gateway(url, "concurrent-token"), SESSION),
                range(CALLS)))
        assert all(isinstance(o, ts.Hydrated) for o in outcomes), outcomes
        return [o.bytes for o in outcomes]

    race(tmp_path, hydrate_all)


# One hydrate in its own process: loads the component, says it is ready, waits
# for the go (so the processes race), hydrates and prints what it got.
CHILD = """
import sys, transcript_snapshot as ts
client = ts.SnapshotClient(preopens={"/workspace": sys.argv[1]})
print("ready", flush=True)
sys.stdin.readline()
out = client.hydrate(ts.Gateway(sys.argv[2], "concurrent-token"), sys.argv[3])
print(type(out).__name__, getattr(out, "bytes", ""), flush=True)
"""


def test_eight_processes_hydrating_one_file_never_mix_bodies(tmp_path):
    env = dict(os.environ, TRANSCRIPT_SNAPSHOT_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=str(PYDIR / "src"))

    def hydrate_all(url, root):
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(root), url, SESSION], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(CALLS)]
        try:
            for p in procs:
                assert p.stdout.readline().strip() == "ready"
            for p in procs:
                p.stdin.write("go\n")
                p.stdin.flush()
            results = [p.communicate(timeout=120)[0].split() for p in procs]
        finally:
            for p in procs:
                p.kill()
                p.wait()
        assert all(r[:1] == ["Hydrated"] for r in results), results
        return [int(r[1]) for r in results]

    race(tmp_path, hydrate_all)
