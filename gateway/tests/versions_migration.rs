//! Upgrading a 7.2.0-era database: rows stored before `snapshot_sha256`
//! existed get their digest when the new gateway starts, and a row an older
//! replica writes afterwards (no digest) gets it when first read.

#[macro_use]
mod common;

use std::borrow::Cow;

use common::{expected_etag, fresh_database, header, sha256_base64, Scope, TestGateway};
use snapshot_gateway::Backend;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row};

both_backends!(
    old_rows_get_digests_at_startup,
    row_without_digest_written_later_is_filled_on_read,
);

/// The schema exactly as the previous gateway left it: migration 1 alone,
/// recorded in `_sqlx_migrations` with the same checksum.
async fn old_schema(backend: Backend, database: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    let (url, sql) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{database}?mode=rwc"),
            include_str!("../migrations/sqlite/0001_agent_transcript_snapshot.sql"),
        ),
        Backend::Postgres => (
            database.to_owned(),
            include_str!("../migrations/postgres/0001_agent_transcript_snapshot.sql"),
        ),
    };
    let pool = AnyPool::connect(&url).await.expect("connect");
    let first = Migration::new(
        1,
        Cow::Borrowed("agent transcript snapshot"),
        MigrationType::Simple,
        Cow::Borrowed(sql),
        false,
    );
    let migrator = Migrator {
        migrations: Cow::Owned(vec![first]),
        ..Migrator::DEFAULT
    };
    migrator.run(&pool).await.expect("old migration");
    pool
}

/// An insert as the previous gateway made it: no digest column.
async fn old_insert(pool: &AnyPool, conversation: &str, run_id: i64, status: &str, jsonl: &str) {
    sqlx::query(
        "INSERT INTO agent_transcript_snapshot \
         (organization_id, agent_id, conversation_id, run_id, snapshot_jsonl, byte_size, terminal_status) \
         VALUES ('org-1', 'agent-1', $1, $2, $3, $4, $5)",
    )
    .bind(conversation)
    .bind(run_id)
    .bind(jsonl)
    .bind(i32::try_from(jsonl.len()).expect("small"))
    .bind(status)
    .execute(pool)
    .await
    .expect("old insert");
}

async fn digests(pool: &AnyPool) -> Vec<(String, Option<String>)> {
    sqlx::query("SELECT snapshot_jsonl, snapshot_sha256 FROM agent_transcript_snapshot ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("select")
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

async fn old_rows_get_digests_at_startup(backend: Backend) {
    let (database, dir) = fresh_database(backend).await;
    let pool = old_schema(backend, &database).await;
    // More rows than one backfill batch, in two conversations, all statuses.
    for run_id in 1..=40 {
        let status = if run_id % 3 == 0 {
            "failed"
        } else {
            "completed"
        };
        let conversation = if run_id % 2 == 0 { "conv-1" } else { "conv-2" };
        old_insert(
            &pool,
            conversation,
            run_id,
            status,
            &format!("old run {run_id} ✓\n"),
        )
        .await;
    }

    let gw = TestGateway::start_on(backend, database, dir, "").await;
    let rows = digests(&pool).await;
    assert_eq!(rows.len(), 40);
    for (jsonl, digest) in &rows {
        assert_eq!(
            digest.as_deref(),
            Some(sha256_base64(jsonl.as_bytes()).as_str()),
            "{jsonl}"
        );
    }

    // conv-1 holds the even runs; run 40 is its latest, and completed.
    let scope = Scope::default_scope();
    let token = scope.deployment_token();
    let response = gw.get(Some(&token)).await;
    assert_eq!(response.status(), 200);
    let etag = header(&response, "etag").expect("etag");
    assert_eq!(
        header(&response, "x-snapshot-run-id").as_deref(),
        Some("40")
    );
    assert_eq!(etag, expected_etag(b"old run 40 \xE2\x9C\x93\n"));
    let reads = gw.gateway.snapshot_body_reads();
    let response = gw.get_with(&token, &[("if-none-match", &etag)]).await;
    assert_eq!(response.status(), 304);
    assert_eq!(gw.gateway.snapshot_body_reads(), reads);
    // A precondition on a pre-existing version works too.
    let response = gw
        .write_with(&scope, 41, "new\n", &[("if-match", &etag)])
        .await;
    assert_eq!(response.status(), 200);
}

async fn row_without_digest_written_later_is_filled_on_read(backend: Backend) {
    let (database, dir) = fresh_database(backend).await;
    let pool = old_schema(backend, &database).await;
    let gw = TestGateway::start_on(backend, database, dir, "").await;
    let scope = Scope::default_scope();
    let token = scope.deployment_token();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    // A replica still on the previous version writes run 2 without a digest.
    old_insert(&pool, "conv-1", 2, "completed", "v2 by old replica\n").await;
    let v2 = expected_etag(b"v2 by old replica\n");

    // The metadata path (If-None-Match) computes it once.
    let response = gw.get_with(&token, &[("if-none-match", &v2)]).await;
    assert_eq!(response.status(), 304);
    assert_eq!(header(&response, "etag"), Some(v2.clone()));
    let rows = digests(&pool).await;
    assert_eq!(
        rows[1].1.as_deref(),
        Some(sha256_base64(b"v2 by old replica\n").as_str())
    );

    // And a plain GET of a digest-less row names it too.
    old_insert(&pool, "conv-1", 3, "completed", "v3 by old replica\n").await;
    let response = gw.get(Some(&token)).await;
    assert_eq!(
        header(&response, "etag"),
        Some(expected_etag(b"v3 by old replica\n"))
    );
    let reads = gw.gateway.snapshot_body_reads();
    let v3 = expected_etag(b"v3 by old replica\n");
    let response = gw.get_with(&token, &[("if-none-match", &v3)]).await;
    assert_eq!(response.status(), 304);
    assert_eq!(
        gw.gateway.snapshot_body_reads(),
        reads,
        "filled once, then metadata only"
    );
}
