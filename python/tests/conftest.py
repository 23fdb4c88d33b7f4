"""Shared fixtures: a small in-process mock gateway and a per-test workspace.

The gateway runs on its own thread: a wasmtime-py call blocks its thread but
releases the GIL, so a server on another thread of this process can answer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional

import pytest

from repo import PYDIR, built_component

# Keep the compiled-component cache of test runs inside python/ (gitignored).
os.environ.setdefault("TRANSCRIPT_SNAPSHOT_CACHE_DIR", str(PYDIR / ".cache"))
# In-repo tests run the component cargo just built, not a copy bundled into
# src/ for packaging (which may be stale); child processes inherit this too.
os.environ.setdefault("TRANSCRIPT_SNAPSHOT_WASM", str(built_component()))


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class MockGateway:
    snapshot: Optional[bytes] = None  # GET answers 404 while None
    delay: float = 0.0  # seconds before every answer
    status: Optional[int] = None  # when set, every request gets it with an empty body
    # The latest snapshot's version. While None the gateway names no versions
    # (no `etag`, validators ignored), as a gateway from before versions.
    etag: Optional[str] = None
    latest_run_id: Optional[int] = None  # a 412's `x-snapshot-run-id`, when set
    requests: List[Request] = field(default_factory=list)
    url: str = ""

    def handler(gw):  # noqa: N805 - `gw` is the gateway, `self` the handler below
        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: bytes, headers: tuple = ()) -> None:
                length = int(self.headers.get("content-length") or 0)
                gw.requests.append(Request(self.command, self.path,
                                           {k.lower(): v for k, v in self.headers.items()},
                                           self.rfile.read(length)))
                time.sleep(gw.delay)
                if gw.status is not None:
                    status, body, headers = gw.status, b"", ()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _version(self) -> tuple:
                return () if gw.etag is None else (("etag", gw.etag),)

            def do_GET(self):
                if gw.snapshot is None:
                    self._answer(404, b"")
                elif gw.etag is not None and self.headers.get("if-none-match") == gw.etag:
                    self._answer(304, b"", self._version())
                else:
                    self._answer(200, gw.snapshot, self._version())

            def do_POST(self):
                expected = self.headers.get("if-match")
                if gw.etag is not None and expected is not None and expected != gw.etag:
                    run = gw.latest_run_id
                    named = () if run is None else (("x-snapshot-run-id", str(run)),)
                    self._answer(412, b"", named)
                else:
                    self._answer(200, b"{}", self._version())

            def do_DELETE(self):
                self._answer(200, json.dumps({"deleted": 1}).encode())

            def log_message(self, *args):  # keep pytest output clean
                pass

        return Handler


@pytest.fixture
def gateway():
    gw = MockGateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), gw.handler())
    gw.url = f"http://127.0.0.1:{server.server_port}/lobu"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield gw
    server.shutdown()
    server.server_close()
