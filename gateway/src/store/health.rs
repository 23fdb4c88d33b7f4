//! What `/readyz` and `/metrics` ask the database.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{EmbeddedMigrations, Store, StoreError};

/// Snapshots that still hold their bytes (pruned tombstones excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredTotals {
    pub snapshots: i64,
    pub bytes: i64,
}

impl Store {
    /// Ready when a connection answers and the newest built-in migration is
    /// applied. `Err` names what is missing (no secrets: the URL is not in it).
    pub async fn check_ready(&self) -> Result<(), String> {
        let expected = EmbeddedMigrations(self.backend).latest_version();
        let row: Option<AnyRow> =
            sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_optional(&self.pool)
                .await
                .map_err(|err| format!("database unreachable: {}", short(&err)))?;
        let applied: Option<i64> = row
            .map(|row| row.try_get(0))
            .transpose()
            .map_err(|err| format!("cannot read migrations: {}", short(&err)))?
            .flatten();
        match applied {
            Some(version) if version >= expected => Ok(()),
            other => Err(format!(
                "schema at migration {}, expected {expected}",
                other.unwrap_or(0)
            )),
        }
    }

    /// Rows holding bytes, and their bytes, over all conversations. One
    /// table scan: meant for a scrape every few seconds, not per request.
    pub async fn stored_totals(&self) -> Result<StoredTotals, StoreError> {
        let row: AnyRow = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(byte_size), 0) \
             FROM agent_transcript_snapshot WHERE pruned = 0",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(StoredTotals {
            snapshots: row.try_get(0)?,
            bytes: row.try_get(1)?,
        })
    }
}

/// The error's kind without the driver's full text (which may quote SQL).
fn short(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::PoolTimedOut => "no connection within the acquire timeout".into(),
        sqlx::Error::PoolClosed => "pool closed".into(),
        sqlx::Error::Io(io) => format!("i/o: {}", io.kind()),
        sqlx::Error::Tls(_) => "TLS failure".into(),
        sqlx::Error::Database(_) => "database error".into(),
        _ => "error".into(),
    }
}
