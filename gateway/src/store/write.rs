//! The write: duplicate check, preconditions and insert in one transaction
//! that holds the conversation's write lock, so two writers naming the same
//! version cannot both pass.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Backend, SnapshotVersion, Store, StoreError};
use crate::token::Scope;
use crate::validate::TerminalStatus;
use crate::version::{SnapshotDigest, WritePreconditions};

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Stored {
        id: i64,
        digest: SnapshotDigest,
        /// Older snapshots of the conversation whose bytes retention dropped.
        pruned: u64,
    },
    /// The run already has a snapshot (409). Checked before preconditions,
    /// so a retried write is never mistaken for a fork.
    Duplicate,
    /// A precondition failed (412); carries the latest completed version.
    PreconditionFailed(Option<SnapshotVersion>),
}

impl Store {
    /// Stores one snapshot unless the run already has one or a precondition
    /// fails. Without preconditions this answers exactly as an unconditional
    /// insert would.
    pub async fn write(
        &self,
        scope: &Scope,
        run_id: i64,
        status: TerminalStatus,
        snapshot_jsonl: &str,
        preconditions: &WritePreconditions,
    ) -> Result<WriteOutcome, StoreError> {
        let byte_size = i32::try_from(snapshot_jsonl.len())
            .map_err(|_| StoreError::TooLarge(snapshot_jsonl.len()))?;
        // Hashed once, here, outside the lock.
        let digest = SnapshotDigest::of(snapshot_jsonl.as_bytes());
        let mut tx = self.begin_scope_write(scope).await?;

        let existing: Option<AnyRow> = sqlx::query(
            "SELECT 1 FROM agent_transcript_snapshot \
             WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 AND run_id = $4",
        )
        .bind(&scope.organization_id)
        .bind(&scope.agent_id)
        .bind(&scope.conversation_id)
        .bind(run_id)
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() {
            tx.rollback().await?;
            return Ok(WriteOutcome::Duplicate);
        }

        if !preconditions.is_empty() {
            let latest = self.latest_version_on(&mut tx, scope).await?;
            if !preconditions.pass(latest.map(|v| v.digest)) {
                tx.rollback().await?;
                return Ok(WriteOutcome::PreconditionFailed(latest));
            }
        }

        // ON CONFLICT stays: the lock already excludes duplicates, but the
        // unique key is what guarantees it. Placeholders appear in order,
        // as SQLite numbers `$n` by appearance.
        let row: Option<AnyRow> = sqlx::query(
            "INSERT INTO agent_transcript_snapshot \
             (organization_id, agent_id, conversation_id, run_id, snapshot_jsonl, byte_size, \
              terminal_status, snapshot_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (organization_id, agent_id, conversation_id, run_id) DO NOTHING \
             RETURNING id",
        )
        .bind(&scope.organization_id)
        .bind(&scope.agent_id)
        .bind(&scope.conversation_id)
        .bind(run_id)
        .bind(snapshot_jsonl)
        .bind(byte_size)
        .bind(status.as_str())
        .bind(digest.to_base64())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(WriteOutcome::Duplicate);
        };
        let id: i64 = row.try_get(0)?;
        // Same transaction and lock: no writer sees the conversation between
        // the insert and the prune, and a failed prune undoes the insert.
        let pruned = self.prune_on(&mut tx, scope).await?;
        tx.commit().await?;
        Ok(WriteOutcome::Stored { id, digest, pruned })
    }

    /// A transaction that alone may write this conversation until it ends.
    /// SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front (a
    /// deferred transaction that reads first could fail to upgrade).
    /// PostgreSQL: a transaction-scoped advisory lock per conversation, so
    /// other conversations are not serialised (except on a key collision,
    /// which only costs waiting).
    async fn begin_scope_write(
        &self,
        scope: &Scope,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
                    .bind(lock_key(scope))
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}

/// A 64-bit key for the conversation: the first 8 bytes of the SHA-256 of
/// its length-prefixed parts (prefixes keep ("ab","c") apart from ("a","bc")).
fn lock_key(scope: &Scope) -> i64 {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in [
        &scope.organization_id,
        &scope.agent_id,
        &scope.conversation_id,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let hash = hasher.finalize();
    let mut key = [0u8; 8];
    key.copy_from_slice(&hash[..8]);
    i64::from_be_bytes(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(o: &str, a: &str, c: &str) -> Scope {
        Scope {
            organization_id: o.into(),
            agent_id: a.into(),
            conversation_id: c.into(),
        }
    }

    #[test]
    fn lock_keys_separate_parts() {
        assert_eq!(
            lock_key(&scope("o", "a", "c")),
            lock_key(&scope("o", "a", "c"))
        );
        assert_ne!(
            lock_key(&scope("ab", "c", "d")),
            lock_key(&scope("a", "bc", "d"))
        );
    }
}
