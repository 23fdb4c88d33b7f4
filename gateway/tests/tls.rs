//! TLS on both sides: HTTPS listening with `--tls-cert/--tls-key`, and
//! PostgreSQL reached with `sslmode=require` and `verify-full`.

mod common;

use std::time::Duration;

use common::{fresh_database, write_body, Scope, SECRET};
use pg_cluster::{PgCluster, TestCertificates};
use snapshot_gateway::{serve, Backend, GatewayConfig};
use sqlx::{Connection, PgConnection, Row};

fn https_client(ca: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(ca).expect("read CA");
    reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA pem"))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("https client")
}

fn config(database: String) -> GatewayConfig {
    GatewayConfig::new("127.0.0.1:0".parse().expect("addr"), database, SECRET)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_listening_serves_the_contract() {
    let certs_dir = tempfile::tempdir().expect("temp dir");
    let certs = TestCertificates::generate(certs_dir.path()).expect("certificates");
    let (database, _db_dir) = fresh_database(Backend::Sqlite).await;
    let gw = serve(config(database).with_tls(&certs.server_cert, &certs.server_key))
        .await
        .expect("gateway starts with TLS");
    assert!(
        gw.snapshot_url().starts_with("https://127.0.0.1:"),
        "{}",
        gw.snapshot_url()
    );
    let http = https_client(&certs.ca_cert);
    let scope = Scope::default_scope();
    let body = "{\"over\":\"tls\"}\n";
    let posted = http
        .post(gw.snapshot_url())
        .bearer_auth(scope.run_token(1))
        .header("content-type", "application/json")
        .body(write_body("completed", body, 1).to_string())
        .send()
        .await
        .expect("POST over HTTPS");
    assert_eq!(posted.status(), 200);
    let got = http
        .get(gw.snapshot_url())
        .bearer_auth(scope.deployment_token())
        .send()
        .await
        .expect("GET over HTTPS");
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.expect("body"), body);
    let healthz = http
        .get(format!("{}/healthz", gw.origin()))
        .send()
        .await
        .expect("healthz over HTTPS");
    assert_eq!(healthz.status(), 200);

    // Plain HTTP to the TLS port gets no answer.
    let plain = common::client()
        .get(format!("http://{}/healthz", gw.local_addr()))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");
    // A client that does not trust the CA refuses the certificate.
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .no_proxy()
        .build()
        .expect("client");
    assert!(untrusting
        .get(format!("{}/healthz", gw.origin()))
        .send()
        .await
        .is_err());
    gw.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_https_with_tls_env_vars() {
    let dir = tempfile::tempdir().expect("temp dir");
    let certs = TestCertificates::generate(dir.path()).expect("certificates");
    let cert = certs.server_cert.to_string_lossy().into_owned();
    let key = certs.server_key.to_string_lossy().into_owned();
    let gw = common::process::GatewayProcess::spawn(
        &["--database", "sqlite::memory:"],
        &[
            ("SNAPSHOT_GATEWAY_SECRET", SECRET),
            ("SNAPSHOT_GATEWAY_TLS_CERT", cert.as_str()),
            ("SNAPSHOT_GATEWAY_TLS_KEY", key.as_str()),
        ],
    )
    .await;
    assert!(gw.origin.starts_with("https://"), "{}", gw.origin);
    let readyz = https_client(&certs.ca_cert)
        .get(format!("{}/readyz", gw.origin))
        .send()
        .await
        .expect("readyz over HTTPS");
    assert_eq!(readyz.status(), 200);
    assert!(gw.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_certificate_path_stops_startup() {
    let missing = std::path::Path::new("/nonexistent/cert.pem");
    let err = serve(config("sqlite::memory:".into()).with_tls(missing, missing))
        .await
        .expect_err("no certificate, no server");
    assert!(err.to_string().contains("TLS"), "{err}");
}

/// (connections of `database` from other backends, how many use SSL).
async fn ssl_connections(admin: &str, database: &str) -> (i64, i64) {
    let mut conn = PgConnection::connect(admin).await.expect("admin connects");
    let row = sqlx::query(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
         JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1 AND a.pid <> pg_backend_pid()",
    )
    .bind(database)
    .fetch_one(&mut conn)
    .await
    .expect("pg_stat_ssl");
    conn.close().await.ok();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_with_require_and_verify_full() {
    let cluster = tokio::task::spawn_blocking(PgCluster::start_tls)
        .await
        .expect("join")
        .expect("cluster with ssl=on");
    let ca = cluster
        .certificates()
        .expect("certificates")
        .ca_cert
        .clone();
    let url = cluster.create_database().await.expect("database");
    let name = url.rsplit('/').next().expect("name").to_owned();
    let scope = Scope::default_scope();
    let http = common::client();

    for (run, query) in [
        (1, "sslmode=require".to_owned()),
        (
            2,
            format!("sslmode=verify-full&sslrootcert={}", ca.display()),
        ),
    ] {
        let gw = serve(config(format!("{url}?{query}")))
            .await
            .unwrap_or_else(|err| panic!("gateway starts with {query}: {err}"));
        assert_eq!(gw.backend(), Backend::Postgres);
        let body = format!("{{\"run\":{run}}}\n");
        let posted = http
            .post(gw.snapshot_url())
            .bearer_auth(scope.run_token(run))
            .body(write_body("completed", &body, run).to_string())
            .send()
            .await
            .expect("post");
        assert_eq!(posted.status(), 200, "{query}");
        let got = http
            .get(gw.snapshot_url())
            .bearer_auth(scope.deployment_token())
            .send()
            .await
            .expect("get");
        assert_eq!(got.text().await.expect("body"), body);
        let (connections, encrypted) = ssl_connections(&cluster.url(), &name).await;
        assert!(connections > 0, "the gateway holds connections");
        assert_eq!(
            connections, encrypted,
            "every connection uses TLS with {query}"
        );
        gw.shutdown().await.expect("shutdown");
    }

    // verify-full without the CA: the test certificate chains to nothing trusted.
    let refused = serve(config(format!("{url}?sslmode=verify-full"))).await;
    assert!(refused.is_err(), "verify-full must not trust an unknown CA");

    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("drop");
}
