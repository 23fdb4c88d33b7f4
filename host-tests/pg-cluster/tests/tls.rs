//! A cluster started with `ssl=on` serves TLS with a certificate its test CA
//! signed: `sslmode=require` encrypts, `verify-full` trusts only that CA.

use pg_cluster::PgCluster;
use sqlx::{Connection, PgConnection, Row};

async fn ssl_in_use(url: &str) -> Result<bool, sqlx::Error> {
    let mut conn = PgConnection::connect(url).await?;
    let row = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await?;
    let ssl: bool = row.get(0);
    conn.close().await?;
    Ok(ssl)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_cluster_accepts_require_and_verify_full() {
    let cluster = tokio::task::spawn_blocking(PgCluster::start_tls)
        .await
        .expect("join")
        .expect("cluster starts with ssl=on");
    let certs = cluster.certificates().expect("certificates").clone();
    let db = cluster.create_database().await.expect("create database");
    let ca = certs.ca_cert.display();

    assert!(!ssl_in_use(&format!("{db}?sslmode=disable"))
        .await
        .expect("plain"));
    assert!(ssl_in_use(&format!("{db}?sslmode=require"))
        .await
        .expect("require"));
    let verified = format!("{db}?sslmode=verify-full&sslrootcert={ca}");
    assert!(ssl_in_use(&verified)
        .await
        .expect("verify-full with the CA"));
    // Without the CA, the certificate chains to no trusted root.
    let untrusted = ssl_in_use(&format!("{db}?sslmode=verify-full")).await;
    assert!(untrusted.is_err(), "verify-full without the CA must fail");

    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("drop");
}
