//! Fills `snapshot_sha256` for rows stored before the column existed. Runs
//! at startup, after migrations, in small batches: neither database can
//! compute it in the migration everywhere (SQLite has no SHA-256), and
//! batches keep memory (up to 4 MiB a row) and transactions short. Replicas
//! starting together may fill the same rows: harmless, the value depends
//! only on the bytes.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::read::save_digest;
use super::{Store, StoreError};
use crate::version::SnapshotDigest;

/// Rows per batch: at most 64 MiB of snapshots in memory.
const BATCH: i64 = 16;

impl Store {
    pub(super) async fn backfill_digests(&self) -> Result<(), StoreError> {
        // Walks the primary key, so it ends even if a row cannot be updated.
        let mut after = i64::MIN;
        let mut filled = 0usize;
        loop {
            let rows: Vec<AnyRow> = sqlx::query(
                "SELECT id, snapshot_jsonl FROM agent_transcript_snapshot \
                 WHERE snapshot_sha256 IS NULL AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            self.count_body_reads(rows.len());
            let mut tx = self.pool.begin().await?;
            for row in &rows {
                let id: i64 = row.try_get(0)?;
                let jsonl: String = row.try_get(1)?;
                save_digest(&mut tx, id, SnapshotDigest::of(jsonl.as_bytes())).await?;
                after = id;
            }
            tx.commit().await?;
            filled += rows.len();
        }
        if filled > 0 {
            tracing::info!(rows = filled, "filled missing snapshot digests");
        }
        Ok(())
    }
}
