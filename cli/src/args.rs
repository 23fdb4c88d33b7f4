//! Command-line arguments. Tokens are read from the environment by default:
//! flags are visible to every user in `ps`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use transcript_snapshot_host::Options;

#[derive(Debug, Parser)]
#[command(
    name = "transcript-snapshot",
    version,
    about = "Hydrate, write and clear agent session snapshots through a gateway"
)]
pub struct Cli {
    /// Run this component file instead of the one built into this binary.
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_WASM", global = true)]
    pub component: Option<PathBuf>,
    /// Where compiled components are cached (default: ~/.cache/transcript-snapshot).
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// Print the outcome as canonical JSON instead of a sentence.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log one record per call (operation, outcome, bytes, attempts, status,
    /// duration) on stderr; -vv adds every crate's info events. Without -v,
    /// RUST_LOG (e.g. transcript_snapshot=info) decides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull the latest completed snapshot into the session file.
    Hydrate {
        #[command(flatten)]
        gateway: GatewayArgs,
        /// The session file (its directory is the only one the component sees).
        #[arg(long)]
        session_file: PathBuf,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Push the session file as the snapshot of a finished run.
    Write {
        /// Gateway base URL, e.g. http://127.0.0.1:8787/lobu.
        #[arg(long, env = "TRANSCRIPT_SNAPSHOT_GATEWAY_URL")]
        gateway_url: String,
        /// The run's id (runId of the job payload).
        #[arg(long, env = "TRANSCRIPT_SNAPSHOT_RUN_ID")]
        run_id: Option<u64>,
        /// The per-run token (runJobToken of the job payload).
        #[arg(long, env = "TRANSCRIPT_SNAPSHOT_RUN_TOKEN", hide_env_values = true)]
        run_token: Option<String>,
        #[arg(long)]
        session_file: PathBuf,
        /// How the run ended: completed, failed, timeout or cancelled.
        #[arg(long)]
        status: String,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Delete every snapshot of the conversation (session reset).
    Clear {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Print the run binding of a job payload (from --payload or stdin) as
    /// shell `export` lines.
    RunBinding {
        /// The job payload JSON; read from stdin when absent.
        #[arg(long)]
        payload: Option<String>,
    },
    /// Walk one conversation across two pods against a local reference gateway.
    Demo {
        /// Database of the gateway (default: a temporary SQLite file), e.g. postgres://….
        #[arg(
            long,
            env = "TRANSCRIPT_SNAPSHOT_DEMO_DATABASE",
            hide_env_values = true
        )]
        database: Option<String>,
        /// Gateway replicas on that database; pod A uses the first, pod B the last.
        #[arg(long, default_value_t = 1)]
        replicas: usize,
        /// Walk against gateways already running instead (repeat for replicas;
        /// pod A uses the first, pod B the last). Needs --secret.
        #[arg(long = "gateway-url", conflicts_with_all = ["database", "replicas"], requires = "secret")]
        gateway_urls: Vec<String>,
        /// The running gateways' token secret, to mint the demo's tokens.
        #[arg(long, env = "SNAPSHOT_GATEWAY_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Gateway base URL, e.g. http://127.0.0.1:8787/lobu.
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_GATEWAY_URL")]
    pub gateway_url: String,
    /// The worker's deployment token.
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_TOKEN", hide_env_values = true)]
    pub token: String,
}

#[derive(Debug, Args)]
pub struct OptionArgs {
    /// Overall deadline of the call, in milliseconds.
    #[arg(long)]
    pub timeout_ms: Option<u32>,
    #[arg(long)]
    pub connect_timeout_ms: Option<u32>,
    #[arg(long)]
    pub first_byte_timeout_ms: Option<u32>,
    #[arg(long)]
    pub between_bytes_timeout_ms: Option<u32>,
    /// Largest session file `write` sends (default 4 MiB).
    #[arg(long)]
    pub max_write_bytes: Option<u64>,
    /// Largest snapshot `hydrate` accepts (default 64 MiB).
    #[arg(long)]
    pub max_hydrate_bytes: Option<u64>,
    /// Attempts at most, retries of transient failures included (default 3).
    #[arg(long)]
    pub max_attempts: Option<u32>,
    /// Backoff base between attempts, in milliseconds (default 200).
    #[arg(long)]
    pub retry_base_ms: Option<u32>,
    /// Longest wait between attempts, in milliseconds (default 5000).
    #[arg(long)]
    pub retry_cap_ms: Option<u32>,
}

impl OptionArgs {
    pub fn to_options(&self) -> Options {
        Options {
            timeout_ms: self.timeout_ms,
            connect_timeout_ms: self.connect_timeout_ms,
            first_byte_timeout_ms: self.first_byte_timeout_ms,
            between_bytes_timeout_ms: self.between_bytes_timeout_ms,
            max_write_bytes: self.max_write_bytes,
            max_hydrate_bytes: self.max_hydrate_bytes,
            max_attempts: self.max_attempts,
            retry_base_ms: self.retry_base_ms,
            retry_cap_ms: self.retry_cap_ms,
        }
    }
}
