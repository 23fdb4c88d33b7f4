import os
from transcript_snapshot import Gateway, SnapshotClient, SnapshotError, TerminalStatus

client = SnapshotClient(preopens={"/workspace": os.environ["WORKSPACE"]})  # compiled once, cached
gateway = Gateway(os.environ["GATEWAY_URL"], os.environ["WORKER_TOKEN"])
session = "/workspace/.openclaw/session.jsonl"
try:
    print("hydrate:", client.hydrate(gateway, session))  # Hydrated(...) or NoSnapshot(...)
except SnapshotError as e:
    print("hydrate failed:", e)  # e.error is typed (e.g. Timeout); the text never holds the token
# ... the agent run appends to the session file ...
run = client.run_binding_from_payload(os.environ["JOB_PAYLOAD"])  # runId + runJobToken, or None
print("write:", client.write(gateway.url, run, session, TerminalStatus.COMPLETED))
