"""End to end: the demo walk (cli/src/demo.rs) through the Python package
against the real reference gateway (`target/debug/snapshot-gateway`).

One conversation moves between two pods, each a `SnapshotClient` with its own
workspace preopened at /workspace. It runs on SQLite (one gateway process) and
on PostgreSQL with two gateway processes on one database, pod A talking to one
and pod B to the other, so every step after the first write crosses replicas.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import transcript_snapshot as ts

from repo import target_dir

# scripts/test.sh names the programs its one test build made.
GATEWAY_BIN = Path(os.environ.get("SNAPSHOT_GATEWAY_BIN", target_dir() / "debug/snapshot-gateway"))
PG_CLUSTER_BIN = Path(os.environ.get("PG_CLUSTER_BIN", target_dir() / "debug/pg-cluster"))
SECRET = f"e2e-secret-{os.getpid()}"
# The secret travels in the environment, never on a command line (`ps` shows those).
ENV = dict(os.environ, SNAPSHOT_GATEWAY_SECRET=SECRET)
SCOPE = ["--org", "org-e2e", "--agent", "agent-e2e", "--conversation", "conversation-42"]
SESSION = "/workspace/.openclaw/session.jsonl"
# Bounds every call, so a wedged gateway fails the step instead of hanging the suite.
OPTIONS = ts.Options(timeout_ms=15_000)


# --- processes --------------------------------------------------------------------

def _popen(binary: Path, *args: str, **kw) -> subprocess.Popen:
    if not binary.exists():
        pytest.fail(f"{binary} is missing: cargo build -p host-tests -p snapshot-gateway --bins")
    # Other engineers rebuild target/debug in this shared checkout; exec'ing a
    # binary mid-link fails (ETXTBSY, ENOEXEC) before it runs, so retry that.
    for attempt in range(30):
        try:
            return subprocess.Popen([str(binary), *args], env=ENV, text=True, **kw)
        except OSError:
            if attempt == 29:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def _first_line(proc: subprocess.Popen, what: str, log: Path, timeout: float) -> str:
    """The process's first stdout line: our readiness signal."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline().strip() if ready else ""
    if not line:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)  # EOF usually means it is exiting: report its code
        state = (f"still running after {timeout}s" if proc.poll() is None
                 else f"exited with code {proc.returncode}")
        pytest.fail(f"{what} printed no line ({state}); its stderr:\n"
                    f"{log.read_text(errors='replace')[-2000:]}")
    return line


def _stop(proc: subprocess.Popen, how) -> None:
    how(proc)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()  # last resort: a pg-cluster killed here leaves its cluster behind
        proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe:
            pipe.close()


def start_gateway(stack: contextlib.ExitStack, database: str, log: Path) -> str:
    """A `serve` process, registered on `stack` for SIGTERM; returns its base URL."""
    with log.open("w") as err:  # a file, not a pipe nobody drains
        proc = _popen(GATEWAY_BIN, "serve", "--listen", "127.0.0.1:0", "--database", database,
                      "--prefix", "/lobu", stdout=subprocess.PIPE, stderr=err)
    stack.callback(_stop, proc, subprocess.Popen.terminate)
    line = _first_line(proc, "snapshot-gateway serve", log, timeout=60)
    assert line.startswith("listening http://"), f"unexpected gateway line {line!r}"
    return line.removeprefix("listening ") + "/lobu"


def start_pg_cluster(stack: contextlib.ExitStack, log: Path) -> str:
    """A throwaway cluster; closing pg-cluster's stdin stops and removes it."""
    with log.open("w") as err:
        proc = _popen(PG_CLUSTER_BIN, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
    stack.callback(_stop, proc, lambda p: p.stdin.close())
    url = _first_line(proc, "pg-cluster", log, timeout=120)
    assert url.startswith("postgres://"), "pg-cluster printed something other than a URL"
    return url


def mint(run_id: int | None = None) -> str:
    """A deployment token (GET, DELETE) or, with `run_id`, a token for that run's POST."""
    run = ["--run-id", str(run_id)] if run_id is not None else []
    proc = _popen(GATEWAY_BIN, "mint-token", *SCOPE, *run,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.strip(), f"mint-token failed: {err.strip()}"
    return out.strip()


@pytest.fixture(params=["sqlite", "postgres-2-replicas"])
def gateway_urls(request, tmp_path):
    """(URL for pod A, URL for pod B). Teardown runs in reverse order even when
    the walk fails: gateways get SIGTERM first, then pg-cluster's stdin closes."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = start_gateway(stack, str(tmp_path / "gateway.sqlite3"), tmp_path / "gw.log")
            yield url, url
        else:
            database = start_pg_cluster(stack, tmp_path / "pg-cluster.log")
            urls = tuple(start_gateway(stack, database, tmp_path / f"gw-{pod}.log")
                         for pod in "ab")
            assert urls[0] != urls[1]
            yield urls


# --- the walk -----------------------------------------------------------------------

@dataclass
class Pod:
    name: str
    workspace: Path
    url: str

    def __post_init__(self):
        self.workspace.mkdir()
        self.client = ts.SnapshotClient(preopens={"/workspace": str(self.workspace)})

    @property
    def session(self) -> Path:
        return self.workspace / ".openclaw/session.jsonl"

    def append_turn(self, run: int, text: str) -> None:
        """One agent turn: the worker appends two JSONL lines (non-ASCII on purpose)."""
        self.session.parent.mkdir(parents=True, exist_ok=True)
        with self.session.open("a", encoding="utf-8") as f:
            f.write(f'{{"type":"message","run":{run},"role":"user","text":"{text}"}}\n'
                    f'{{"type":"message","run":{run},"role":"assistant",'
                    f'"text":"noted: {text} ✓ — ünïcödé 日本"}}\n')

    def sha256(self) -> str:
        return hashlib.sha256(self.session.read_bytes()).hexdigest()

    def hydrate(self):
        try:
            return self.client.hydrate(ts.Gateway(self.url, mint()), SESSION, OPTIONS)
        except ts.SnapshotError as e:  # an outcome to report, not a crash
            return ts.Failed(e.error, e.attempts)

    def write(self, run: int, status: ts.TerminalStatus):
        return self.client.write(self.url, ts.RunBinding(run, mint(run)), SESSION, status,
                                 OPTIONS)

    def clear(self):
        return self.client.clear(ts.Gateway(self.url, mint()), OPTIONS)


def check(step: str, pod: Pod, got, ok: bool, expected: str) -> None:
    assert ok, f"step {step} on {pod.name}: got {got!r}, expected {expected}"


def test_conversation_moves_between_pods(gateway_urls, tmp_path):
    a = Pod("pod-A", tmp_path / "pod-a", gateway_urls[0])
    b = Pod("pod-B", tmp_path / "pod-b", gateway_urls[1])

    got = a.hydrate()
    check("1 hydrate (first turn)", a, got, isinstance(got, ts.NoSnapshot), "no-snapshot")

    a.append_turn(1, "hello from run 1")
    size = a.session.stat().st_size
    got = a.write(1, ts.TerminalStatus.COMPLETED)
    check("2 run 1 completed: write", a, got,
          isinstance(got, ts.Stored) and got.bytes == size, f"stored with {size} bytes")

    got = b.hydrate()
    check("3 hydrate (conversation moved)", b, got,
          isinstance(got, ts.Hydrated) and got.bytes == size, f"hydrated with {size} bytes")
    assert b.sha256() == a.sha256(), "step 3: pod-B's session file differs from pod-A's"

    b.append_turn(2, "run 2 continues on pod B")
    after_run_2 = b.session.read_bytes()
    got = b.write(2, ts.TerminalStatus.COMPLETED)
    check("4 run 2 completed: write", b, got,
          isinstance(got, ts.Stored) and got.bytes == len(after_run_2),
          f"stored with {len(after_run_2)} bytes")

    got = a.write(1, ts.TerminalStatus.COMPLETED)
    check("5 late retry of run 1's write", a, got, isinstance(got, ts.Duplicate), "duplicate")

    b.append_turn(3, "run 3 crashes midway")
    got = b.write(3, ts.TerminalStatus.FAILED)
    check("6 run 3 failed: write", b, got, got == ts.Skipped(ts.SkipReason.NOT_COMPLETED),
          "skipped (not-completed), nothing sent")

    got = a.hydrate()
    check("7 hydrate (run 2's snapshot)", a, got,
          isinstance(got, ts.Hydrated) and got.bytes == len(after_run_2),
          f"hydrated with {len(after_run_2)} bytes")
    assert a.sha256() == hashlib.sha256(after_run_2).hexdigest(), \
        "step 7: pod-A does not hold pod-B's transcript as it was after run 2"

    got = b.clear()
    check("8 clear (session reset)", b, got,
          isinstance(got, ts.Cleared) and got.deleted == 2, "cleared, 2 deleted")

    for step, pod in (("9", a), ("10", b)):
        got = pod.hydrate()
        check(f"{step} hydrate after reset", pod, got, isinstance(got, ts.NoSnapshot),
              "no-snapshot")
