//! `snapshot-gateway serve …` runs the gateway; `snapshot-gateway mint-token …`
//! prints a token for it.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims};

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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let config =
        GatewayConfig::new(args.listen, args.database, args.secret).with_prefix(args.prefix);
    let gateway = serve(config).await?;
    // Install the handlers before announcing readiness: a SIGTERM sent right
    // after the ready line must still stop the server gracefully.
    let stop = shutdown_signal()?;
    // The one stdout line, parsed by tests and demos; flush so a pipe sees it.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening http://{}", gateway.local_addr())?;
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
