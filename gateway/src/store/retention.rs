//! Retention: after each insert, in the same transaction and under the
//! same conversation lock, older snapshots of the conversation lose their
//! bytes. The row itself stays as a tombstone (key, run id, digest,
//! `pruned = 1`), so a late retry of a pruned run is still a 409 and can
//! never come back as a fresh row.
//!
//! "Newest" is by run id, the order GET serves by:
//! - `completed`: the newest `keep` keep their bytes.
//! - `failed`/`timeout`/`cancelled` (never served): kept only while newer
//!   than the newest `completed` one, and at most `keep` of them.

use sqlx::{Any, Transaction};

use super::{Store, StoreError};
use crate::token::Scope;

/// How many snapshots per conversation keep their bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Newest `completed` snapshots kept per conversation; 0 keeps all.
    pub keep_completed: u32,
}

impl Retention {
    /// The default: the newest 3.
    pub const DEFAULT_KEEP: u32 = 3;

    pub fn keep(keep_completed: u32) -> Self {
        Self { keep_completed }
    }

    /// Keeps every snapshot (no pruning), as before retention existed.
    pub fn keep_all() -> Self {
        Self { keep_completed: 0 }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::keep(Self::DEFAULT_KEEP)
    }
}

/// `$4` is the offset of the oldest kept row (keep - 1). A NULL cut-off (too
/// few rows) compares as unknown, so nothing below it is pruned.
const PRUNE: &str = "UPDATE agent_transcript_snapshot SET snapshot_jsonl = '', pruned = 1 \
     WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 AND pruned = 0 \
     AND ((terminal_status = 'completed' AND run_id < ( \
             SELECT run_id FROM agent_transcript_snapshot \
             WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 \
             AND terminal_status = 'completed' ORDER BY run_id DESC LIMIT 1 OFFSET $4)) \
       OR (terminal_status <> 'completed' AND (run_id < ( \
             SELECT MAX(run_id) FROM agent_transcript_snapshot \
             WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 \
             AND terminal_status = 'completed') \
          OR run_id < ( \
             SELECT run_id FROM agent_transcript_snapshot \
             WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 \
             AND terminal_status <> 'completed' ORDER BY run_id DESC LIMIT 1 OFFSET $4))))";

impl Store {
    /// Prunes the conversation on the write transaction; returns how many
    /// snapshots lost their bytes.
    pub(super) async fn prune_on(
        &self,
        tx: &mut Transaction<'static, Any>,
        scope: &Scope,
    ) -> Result<u64, StoreError> {
        if self.retention.keep_completed == 0 {
            return Ok(0);
        }
        let offset = i64::from(self.retention.keep_completed) - 1;
        let done = sqlx::query(PRUNE)
            .bind(&scope.organization_id)
            .bind(&scope.agent_id)
            .bind(&scope.conversation_id)
            .bind(offset)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected())
    }
}
