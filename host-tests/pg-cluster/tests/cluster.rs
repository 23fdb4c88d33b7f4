//! The throwaway PostgreSQL cluster starts, serves fresh databases, and
//! leaves nothing behind when dropped.

use std::time::Duration;

use pg_cluster::PgCluster;
use sqlx::{Connection, PgConnection, Row};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_starts_serves_and_cleans_up() {
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .expect("join")
        .expect("cluster starts");
    let dir = cluster.dir().to_path_buf();
    let port = cluster.port();
    assert!(cluster.url().starts_with("postgres://postgres@127.0.0.1:"));

    let first = cluster.create_database().await.expect("create database");
    let second = cluster.create_database().await.expect("create database");
    assert_ne!(first, second);
    let mut conn = PgConnection::connect(&first).await.expect("connect");
    let row = sqlx::query("SELECT current_database()")
        .fetch_one(&mut conn)
        .await
        .expect("query");
    let name: String = row.get(0);
    assert!(first.ends_with(&format!("/{name}")), "{first} vs {name}");
    conn.close().await.expect("close");

    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("drop");
    assert!(!dir.exists(), "temp dir removed");
    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .expect("connect attempt finishes");
    assert!(refused.is_err(), "postmaster stopped");
}
