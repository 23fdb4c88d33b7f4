-- Retention (--keep-snapshots): a pruned row keeps its key, run id and
-- digest but loses its bytes (snapshot_jsonl = ''), so a late retry of that
-- run still finds it and gets 409 instead of being stored again.
ALTER TABLE agent_transcript_snapshot ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
