//! A throwaway PostgreSQL server for the Node and Python end-to-end tests:
//! starts a cluster (the `pg-cluster` crate's, as the Rust tests do),
//! prints one line with a `postgres://` URL of a fresh database, and stops
//! and removes the cluster when its stdin closes.

use pg_cluster::PgCluster;
use std::io::Read;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cluster = match PgCluster::start() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pg-cluster: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cluster.create_database().await {
        Ok(url) => println!("{url}"),
        Err(e) => {
            eprintln!("pg-cluster: {e}");
            return ExitCode::FAILURE;
        }
    }
    // Hold the cluster until the parent is done (or gone).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(cluster);
    ExitCode::SUCCESS
}
