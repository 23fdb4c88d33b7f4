"""One conversation through the installed wheel: write, hydrate, clear, hydrate.

Run by run.sh in a fresh venv outside the repository. Prints one line per
call and exits non-zero when an outcome is not the expected one; run.sh
compares the files. Every log record of the package is kept and checked for
the tokens.
"""

import logging
import os
import sys

from transcript_snapshot import (
    Cleared, Gateway, Hydrated, NoSnapshot, RunBinding, SnapshotClient, Stored, TerminalStatus,
)

records = []


class Keep(logging.Handler):
    def emit(self, record):
        records.append(self.format(record) + " " + repr(record.__dict__))


log = logging.getLogger("transcript_snapshot")
log.setLevel(logging.INFO)
log.addHandler(Keep())

env = os.environ
work = env["WORK"]
gateway = Gateway(env["GATEWAY_URL"], env["TOKEN"])
run = RunBinding(int(env["RUN_ID"]), env["RUN_TOKEN"])
client = SnapshotClient(preopens={"/work": work})


def expect(what, outcome, kind):
    print(f"{what}: {outcome!r}")
    if not isinstance(outcome, kind):
        sys.exit(f"{what}: expected {kind.__name__}")


expect("write", client.write(gateway.url, run, "/work/a/session.jsonl", TerminalStatus.COMPLETED), Stored)
expect("hydrate", client.hydrate(gateway, "/work/b/session.jsonl"), Hydrated)
expect("clear", client.clear(gateway), Cleared)
expect("hydrate after clear", client.hydrate(gateway, "/work/c/session.jsonl"), NoSnapshot)

if len(records) < 4:
    sys.exit(f"expected a log record per call, got {len(records)}")
leaks = [r for r in records if env["TOKEN"] in r or env["RUN_TOKEN"] in r]
if leaks:
    sys.exit(f"{len(leaks)} log records hold a token")
print(f"{len(records)} log records, no token in any")
