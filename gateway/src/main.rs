//! `snapshot-gateway serve …` runs the gateway; `snapshot-gateway mint-token …`
//! prints a token for it.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use snapshot_gateway::server::{DEFAULT_DB_MAX_CONNECTIONS, DEFAULT_MAX_CONCURRENT_REQUESTS};
use snapshot_gateway::{
    init_logging, mint_token, serve, GatewayConfig, LogFormat, Retention, TokenClaims,
};

#[derive(Parser)]
#[command(
    name = "snapshot-gateway",
    version,
    about = "Reference transcript-snapshot gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve {prefix}/worker/transcript/snapshot until SIGINT/SIGTERM.
    Serve(ServeArgs),
    /// Print a signed token for the given scope (and run).
    MintToken(MintArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free one (printed on stdout).
    #[arg(
        long,
        env = "SNAPSHOT_GATEWAY_LISTEN",
        default_value = "127.0.0.1:8787"
    )]
    listen: SocketAddr,
    /// SQLite file path, `sqlite::memory:`, or a `postgres://` URL.
    #[arg(
        long,
        env = "SNAPSHOT_GATEWAY_DATABASE",
        default_value = "snapshot-gateway.db"
    )]
    database: String,
    /// HS256 secret for tokens.
    #[arg(long, env = "SNAPSHOT_GATEWAY_SECRET", hide_env_values = true)]
    secret: String,
    /// Path prefix before /worker/transcript/snapshot, e.g. /lobu.
    #[arg(long, env = "SNAPSHOT_GATEWAY_PREFIX", default_value = "")]
    prefix: String,
    /// Completed snapshots kept per conversation (older ones lose their bytes); 0 keeps all.
    #[arg(long, env = "SNAPSHOT_GATEWAY_KEEP_SNAPSHOTS", default_value_t = Retention::DEFAULT_KEEP)]
    keep_snapshots: u32,
    /// PEM certificate chain: serve HTTPS (needs --tls-key).
    #[arg(long, env = "SNAPSHOT_GATEWAY_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "SNAPSHOT_GATEWAY_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Seconds a client may take to send a request's headers; 0: no limit.
    #[arg(
        long,
        env = "SNAPSHOT_GATEWAY_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 30
    )]
    header_read_timeout_secs: u64,
    /// Seconds a snapshot request may take in all (queue and body upload included); 0: no limit.
    #[arg(
        long,
        env = "SNAPSHOT_GATEWAY_REQUEST_TIMEOUT_SECS",
        default_value_t = 60
    )]
    request_timeout_secs: u64,
    /// Snapshot requests handled at once; more wait for a slot. 0: no limit.
    #[arg(long, env = "SNAPSHOT_GATEWAY_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS)]
    max_concurrent_requests: usize,
    /// Database connections in the pool.
    #[arg(long, env = "SNAPSHOT_GATEWAY_DB_MAX_CONNECTIONS", default_value_t = DEFAULT_DB_MAX_CONNECTIONS)]
    db_max_connections: u32,
    /// Log lines as `text` or `json` (one object per line), on stderr; RUST_LOG filters (default info).
    #[arg(long, env = "SNAPSHOT_GATEWAY_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
}

#[derive(Args)]
struct MintArgs {
    #[arg(long, env = "SNAPSHOT_GATEWAY_SECRET", hide_env_values = true)]
    secret: String,
    #[arg(long)]
    org: String,
    #[arg(long)]
    agent: String,
    #[arg(long)]
    conversation: String,
    /// Bind the token to one run (needed to POST); omit for a deployment token.
    #[arg(long)]
    run_id: Option<i64>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => run_server(args).await,
        Command::MintToken(args) => print_token(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("snapshot-gateway: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run_server(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    init_logging(args.log_format);
    let seconds = |s: u64| (s > 0).then(|| Duration::from_secs(s));
    let mut config = GatewayConfig::new(args.listen, args.database, args.secret)
        .with_prefix(args.prefix)
        .with_keep_snapshots(args.keep_snapshots)
        .with_header_read_timeout(seconds(args.header_read_timeout_secs))
        .with_request_timeout(seconds(args.request_timeout_secs))
        .with_max_concurrent_requests(
            (args.max_concurrent_requests > 0).then_some(args.max_concurrent_requests),
        )
        .with_db_max_connections(args.db_max_connections);
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config = config.with_tls(cert, key);
    }
    tracing::info!(?config, "starting");
    let gateway = serve(config).await?;
    // Install the handlers before announcing readiness: a SIGTERM sent right
    // after the ready line must still stop the server gracefully.
    let stop = shutdown_signal()?;
    // The one stdout line, parsed by tests and demos; flush so a pipe sees it.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening {}", gateway.origin())?;
    stdout.flush()?;
    tracing::info!(url = %gateway.snapshot_url(), backend = ?gateway.backend(), "serving");
    stop.await;
    tracing::info!("shutting down");
    gateway.shutdown().await?;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; the handlers are installed when this returns.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

fn print_token(args: MintArgs) -> Result<(), Box<dyn std::error::Error>> {
    let ttl = Duration::from_secs(args.ttl_secs);
    let claims = match args.run_id {
        Some(run_id) => TokenClaims::for_run(args.org, args.agent, args.conversation, run_id, ttl),
        None => TokenClaims::deployment(args.org, args.agent, args.conversation, ttl),
    };
    println!("{}", mint_token(args.secret, &claims)?);
    Ok(())
}
