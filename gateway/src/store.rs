//! Snapshot storage over one code path for SQLite and PostgreSQL (sqlx's
//! `Any` driver). Races between replicas are settled by the table's unique
//! key and a per-conversation write lock, never by process memory.

mod backfill;
mod health;
mod read;
mod retention;
mod write;

pub use health::StoredTotals;
pub use retention::Retention;

pub use read::SnapshotVersion;
pub use write::WriteOutcome;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions};

use crate::token::Scope;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] MigrateError),
    #[error("snapshot of {0} bytes does not fit the byte_size column")]
    TooLarge(usize),
    #[error("a stored value is not a valid header value")]
    BadHeaderValue,
}

/// Which database a `--database` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A `--database` value resolved to a sqlx URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    backend: Backend,
    url: String,
    in_memory: bool,
}

/// `postgres://…`/`postgresql://…` → PostgreSQL; `sqlite::memory:` or
/// `:memory:` → in-memory SQLite; other `sqlite:…` URLs as given; anything
/// else is a SQLite file path, created when missing.
fn resolve(database: &str) -> Target {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return Target {
            backend: Backend::Postgres,
            url: database.to_owned(),
            in_memory: false,
        };
    }
    if database == "sqlite::memory:" || database == ":memory:" {
        return Target {
            backend: Backend::Sqlite,
            url: "sqlite::memory:".to_owned(),
            in_memory: true,
        };
    }
    let url = if database.starts_with("sqlite:") {
        database.to_owned()
    } else {
        // Absolute, so the URL's first segment is not taken for a host; sqlx
        // percent-encodes the path (spaces, '?', '#').
        let path = std::path::absolute(database).unwrap_or_else(|_| database.into());
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .to_url_lossy()
            .to_string()
    };
    Target {
        backend: Backend::Sqlite,
        url,
        in_memory: false,
    }
}

/// How a [`Store`] prunes and how many connections it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    pub retention: Retention,
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            retention: Retention::default(),
            max_connections: 10,
        }
    }
}

/// Connection pool plus the queries the three routes need.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    retention: Retention,
    /// Snapshot bodies fetched from the database, so tests (and operators)
    /// can see that a 304 reads none.
    body_reads: Arc<AtomicU64>,
}

impl Store {
    /// Connects and applies migrations (under the migrator's lock, so
    /// replicas starting together on one PostgreSQL database do not collide).
    pub async fn connect(database: &str) -> Result<Self, StoreError> {
        Self::connect_with(database, StoreOptions::default()).await
    }

    /// As [`Store::connect`], with retention and pool size.
    pub async fn connect_with(database: &str, opts: StoreOptions) -> Result<Self, StoreError> {
        let retention = opts.retention;
        sqlx::any::install_default_drivers();
        let target = resolve(database);
        let mut options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(opts.max_connections.max(1));
        if target.in_memory {
            // An in-memory SQLite database lives as long as a connection to it.
            options = options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = options.connect(&target.url).await?;
        let migrator = Migrator::new(EmbeddedMigrations(target.backend)).await?;
        migrator.run(&pool).await?;
        let store = Self {
            pool,
            backend: target.backend,
            retention,
            body_reads: Arc::default(),
        };
        store.backfill_digests().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many snapshot bodies this store has fetched from the database
    /// (GET 200, and digests computed for rows stored without one).
    pub fn snapshot_body_reads(&self) -> u64 {
        self.body_reads.load(Ordering::Relaxed)
    }

    fn count_body_reads(&self, rows: usize) {
        self.body_reads.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// Deletes every snapshot of the scope; returns how many there were.
    pub async fn delete_scope(&self, scope: &Scope) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM agent_transcript_snapshot \
             WHERE organization_id = $1 AND agent_id = $2 AND conversation_id = $3",
        )
        .bind(&scope.organization_id)
        .bind(&scope.agent_id)
        .bind(&scope.conversation_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Closes every pooled connection; later queries fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The SQL files under `migrations/`, compiled in so the binary needs no
/// files beside it. One directory per backend, same versions in each.
#[derive(Debug)]
struct EmbeddedMigrations(Backend);

impl EmbeddedMigrations {
    /// The newest version, which `/readyz` expects to find applied.
    fn latest_version(&self) -> i64 {
        self.sources().iter().map(|m| m.0).max().unwrap_or(0)
    }

    fn sources(&self) -> &'static [(i64, &'static str, &'static str)] {
        match self.0 {
            Backend::Sqlite => &[
                (
                    1,
                    "agent transcript snapshot",
                    include_str!("../migrations/sqlite/0001_agent_transcript_snapshot.sql"),
                ),
                (
                    2,
                    "snapshot sha256",
                    include_str!("../migrations/sqlite/0002_snapshot_sha256.sql"),
                ),
                (
                    3,
                    "snapshot pruned",
                    include_str!("../migrations/sqlite/0003_snapshot_pruned.sql"),
                ),
            ],
            Backend::Postgres => &[
                (
                    1,
                    "agent transcript snapshot",
                    include_str!("../migrations/postgres/0001_agent_transcript_snapshot.sql"),
                ),
                (
                    2,
                    "snapshot sha256",
                    include_str!("../migrations/postgres/0002_snapshot_sha256.sql"),
                ),
                (
                    3,
                    "snapshot pruned",
                    include_str!("../migrations/postgres/0003_snapshot_pruned.sql"),
                ),
            ],
        }
    }
}

type ResolveFuture = Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>>;

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(self) -> ResolveFuture {
        let migrations = self
            .sources()
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_database_values() {
        assert_eq!(resolve("postgres://u@h/db").backend, Backend::Postgres);
        assert_eq!(resolve("postgresql://u@h/db").backend, Backend::Postgres);
        assert!(resolve("sqlite::memory:").in_memory);
        assert!(resolve(":memory:").in_memory);
        let file = resolve("/tmp/a b?.db");
        assert_eq!(file.backend, Backend::Sqlite);
        assert!(file.url.starts_with("sqlite://"), "{}", file.url);
        assert!(file.url.contains("mode=rwc"), "{}", file.url);
        assert!(!file.url.contains(' '), "{}", file.url);
        let relative = resolve("Snap.db");
        assert!(relative.url.contains("/Snap.db"), "{}", relative.url);
    }
}
