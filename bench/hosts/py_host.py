"""One measured run on the Python (wasmtime-py) package, as its own process.

usage: py_host.py hydrate|write warm|cold URL WARM_URL DIR SIZE

warm: construct the client (compiled component from the disk cache), one
untimed warm-up call on the small snapshot, then the timed call; cold: construct
and one timed call (the orchestrator times the whole process). Prints
`call_ms=… load_ms=… warmup_ms=…`, like every host.
"""

import sys
import time

from transcript_snapshot import Gateway, Hydrated, Options, RunBinding, SnapshotClient, Stored


def main() -> None:
    op, mode, url, warm_url, workdir, size_arg = sys.argv[1:7]
    size = int(size_arg)
    # Limits raised to the size under test, as on every host (see rust_host.rs).
    options = Options(max_write_bytes=max(size, 4 << 20), max_hydrate_bytes=max(size, 64 << 20),
                      timeout_ms=300_000, max_attempts=1)

    def call(client: SnapshotClient, gateway_url: str, file: str, expected: int) -> None:
        session = f"/workspace/.openclaw/{file}"
        if op == "hydrate":
            out = client.hydrate(Gateway(gateway_url, "bench"), session, options)
            ok = isinstance(out, Hydrated) and out.bytes == expected
        else:
            out = client.write(gateway_url, RunBinding(1, "bench"), session, "completed", options)
            ok = isinstance(out, Stored) and out.bytes == expected
        if not ok:
            raise SystemExit(f"unexpected outcome {out!r}")

    t0 = time.perf_counter()
    client = SnapshotClient(preopens={"/workspace": workdir})
    load_ms = (time.perf_counter() - t0) * 1e3
    warm_ms = 0.0
    if mode == "warm":
        t = time.perf_counter()
        call(client, warm_url, "warmup.jsonl", 1300)
        warm_ms = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    call(client, url, "session.jsonl", size)
    call_ms = (time.perf_counter() - t) * 1e3
    print(f"call_ms={call_ms:.3f} load_ms={load_ms:.3f} warmup_ms={warm_ms:.3f} "
          f"source={client.load_info.source}")


if __name__ == "__main__":
    main()
