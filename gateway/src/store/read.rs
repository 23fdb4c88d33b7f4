//! Reads of the latest `completed` snapshot: its version alone (304 and
//! preconditions never touch the bytes), or its version with its bytes.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::token::Scope;
use crate::version::SnapshotDigest;

/// Which snapshot is the latest, without its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotVersion {
    pub id: i64,
    pub run_id: i64,
    pub digest: SnapshotDigest,
}

const LATEST_VERSION: &str = "SELECT id, run_id, snapshot_sha256 FROM agent_transcript_snapshot \
     WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 \
     AND terminal_status = 'completed' ORDER BY run_id DESC LIMIT 1";

const LATEST_SNAPSHOT: &str =
    "SELECT id, run_id, snapshot_sha256, snapshot_jsonl FROM agent_transcript_snapshot \
     WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3 \
     AND terminal_status = 'completed' ORDER BY run_id DESC LIMIT 1";

impl Store {
    /// The latest `completed` version of the scope, by run id. Reads no
    /// bytes, except once for a row stored without a digest (by a gateway
    /// older than the column).
    pub async fn latest_completed_version(
        &self,
        scope: &Scope,
    ) -> Result<Option<SnapshotVersion>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.latest_version_on(&mut conn, scope).await
    }

    /// As [`Store::latest_completed_version`], on a given connection (the
    /// write transaction's).
    pub(super) async fn latest_version_on(
        &self,
        conn: &mut AnyConnection,
        scope: &Scope,
    ) -> Result<Option<SnapshotVersion>, StoreError> {
        let Some(row) = latest_row(conn, LATEST_VERSION, scope).await? else {
            return Ok(None);
        };
        let (id, run_id, stored) = version_columns(&row)?;
        let digest = match stored {
            Some(digest) => digest,
            // Deleted between the two queries: nothing is current any more.
            None => match self.fill_digest(conn, id).await? {
                Some(digest) => digest,
                None => return Ok(None),
            },
        };
        Ok(Some(SnapshotVersion { id, run_id, digest }))
    }

    /// The latest `completed` snapshot of the scope with its bytes, in one
    /// query so the version always names these bytes.
    pub async fn latest_completed(
        &self,
        scope: &Scope,
    ) -> Result<Option<(SnapshotVersion, String)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = latest_row(&mut conn, LATEST_SNAPSHOT, scope).await? else {
            return Ok(None);
        };
        self.count_body_reads(1);
        let (id, run_id, stored) = version_columns(&row)?;
        let jsonl: String = row.try_get(3)?;
        let digest = match stored {
            Some(digest) => digest,
            None => {
                let digest = SnapshotDigest::of(jsonl.as_bytes());
                save_digest(&mut conn, id, digest).await?;
                digest
            }
        };
        Ok(Some((SnapshotVersion { id, run_id, digest }, jsonl)))
    }

    /// Computes and stores the digest of a row that has none (or a damaged
    /// one); `None` if the row is gone.
    async fn fill_digest(
        &self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<Option<SnapshotDigest>, StoreError> {
        let row: Option<AnyRow> =
            sqlx::query("SELECT snapshot_jsonl FROM agent_transcript_snapshot WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.count_body_reads(1);
        let jsonl: String = row.try_get(0)?;
        let digest = SnapshotDigest::of(jsonl.as_bytes());
        save_digest(conn, id, digest).await?;
        Ok(Some(digest))
    }
}

/// Digests depend only on the row's bytes, so concurrent fills agree.
pub(super) async fn save_digest(
    conn: &mut AnyConnection,
    id: i64,
    digest: SnapshotDigest,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE agent_transcript_snapshot SET snapshot_sha256 = $1 WHERE id = $2")
        .bind(digest.to_base64())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest row `sql` selects for `scope` (bound as its three parameters).
async fn latest_row(
    conn: &mut AnyConnection,
    sql: &str,
    scope: &Scope,
) -> Result<Option<AnyRow>, StoreError> {
    Ok(sqlx::query(sql)
        .bind(&scope.organization_id)
        .bind(&scope.agent_id)
        .bind(&scope.conversation_id)
        .fetch_optional(conn)
        .await?)
}

/// `id`, `run_id` and the stored digest (when valid): the first three
/// columns of both latest-snapshot queries.
fn version_columns(row: &AnyRow) -> Result<(i64, i64, Option<SnapshotDigest>), StoreError> {
    let stored: Option<String> = row.try_get(2)?;
    Ok((
        row.try_get(0)?,
        row.try_get(1)?,
        stored.as_deref().and_then(SnapshotDigest::from_base64),
    ))
}
