-- The strong validator of each snapshot: standard base64 of the SHA-256 of
-- its UTF-8 bytes. Nullable and filled by the gateway in Rust (in small
-- batches at startup, and lazily for rows an older replica writes during a
-- rolling upgrade), as on SQLite: one code path, and no table-wide UPDATE
-- holding the migration lock.
ALTER TABLE agent_transcript_snapshot ADD COLUMN snapshot_sha256 TEXT;
