CREATE TABLE agent_transcript_snapshot (
    id BIGSERIAL PRIMARY KEY,
    organization_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    snapshot_jsonl TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    terminal_status TEXT NOT NULL
        CHECK (terminal_status IN ('completed', 'failed', 'timeout', 'cancelled')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT agent_transcript_snapshot_scope_run_key
        UNIQUE (organization_id, agent_id, conversation_id, run_id)
);

CREATE INDEX agent_transcript_snapshot_scope_run_idx
    ON agent_transcript_snapshot (organization_id, agent_id, conversation_id, run_id DESC);
