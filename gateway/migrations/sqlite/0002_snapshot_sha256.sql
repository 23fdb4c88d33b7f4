-- The strong validator of each snapshot: standard base64 of the SHA-256 of
-- its UTF-8 bytes. Nullable because SQLite has no SHA-256 to fill existing
-- rows here: the gateway fills them in Rust when it starts (and any row an
-- older replica writes later, when it is first read).
ALTER TABLE agent_transcript_snapshot ADD COLUMN snapshot_sha256 TEXT;
