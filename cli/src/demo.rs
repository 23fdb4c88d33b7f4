//! The demo: one conversation walked across two pods with separate
//! workspaces, through the component, against the reference gateway on a
//! temporary SQLite database. Each step prints one table row; any step whose
//! outcome is not the expected one makes the demo exit non-zero.

mod steps;
mod walk;

use crate::exit::CliError;
use snapshot_gateway::{serve, GatewayConfig};
use std::process::ExitCode;
use transcript_snapshot_host::SnapshotHost;
use walk::{Pod, Walk};

/// A database URL without its password, for printing.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// Which gateways the walk talks to.
pub enum Gateways {
    /// Start `replicas` in-process gateways on `database` (default: a
    /// temporary SQLite file); the pods use different ones.
    Own {
        database: Option<String>,
        replicas: usize,
    },
    /// Gateways already running (e.g. separate processes on one PostgreSQL
    /// database), sharing `secret` to mint tokens.
    Running { urls: Vec<String>, secret: String },
}

/// Runs the walk.
pub async fn run(host: &SnapshotHost, gateways: Gateways) -> Result<ExitCode, CliError> {
    let tmp = tempfile::tempdir().map_err(CliError::local("creating the demo's directory"))?;
    let mut started = Vec::new();
    let (urls, secret) = match gateways {
        Gateways::Running { urls, secret } if !urls.is_empty() => {
            println!("gateways {}\n", urls.join(" and "));
            (urls, secret)
        }
        Gateways::Running { .. } => return Err(CliError::Demo("walking", "no gateway URL".into())),
        Gateways::Own { database, replicas } => {
            let database = database.unwrap_or_else(|| {
                tmp.path()
                    .join("gateway.sqlite3")
                    .to_string_lossy()
                    .into_owned()
            });
            let secret = format!("demo-secret-{}", std::process::id());
            for _ in 0..replicas.max(1) {
                let config = GatewayConfig::new(
                    std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                    database.clone(),
                    secret.clone(),
                )
                .with_prefix("/lobu");
                started.push(
                    serve(config)
                        .await
                        .map_err(CliError::demo("starting the gateway"))?,
                );
            }
            let urls: Vec<String> = started.iter().map(|g| g.base_url()).collect();
            println!(
                "reference gateway{} {} on {}\n",
                if urls.len() > 1 { "s" } else { "" },
                urls.join(" and "),
                redact_url(&database)
            );
            (urls, secret)
        }
    };
    let pod_a = Pod {
        name: "pod-A",
        workspace: tmp.path().join("pod-a"),
    };
    let pod_b = Pod {
        name: "pod-B",
        workspace: tmp.path().join("pod-b"),
    };
    for pod in [&pod_a, &pod_b] {
        std::fs::create_dir_all(&pod.workspace)
            .map_err(CliError::local("creating a pod's workspace"))?;
    }
    Walk::header();
    let mut w = Walk {
        host,
        urls,
        secret,
        step: 0,
        failures: 0,
    };
    steps::walk(&mut w, &pod_a, &pod_b).await?;

    for g in started {
        let stopped = g.shutdown().await;
        stopped.map_err(CliError::demo("stopping the gateway"))?;
    }
    if w.failures == 0 {
        println!("\nall {} steps as expected", w.step);
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} of {} checks unexpected", w.failures, w.step);
        Ok(ExitCode::FAILURE)
    }
}
