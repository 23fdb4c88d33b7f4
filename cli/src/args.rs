//! Command-line arguments. Each subcommand offers only the flags it reads.
//! Tokens are read from the environment or a file by default: a flag's value
//! is visible to every user of the machine in `ps`.

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use transcript_snapshot_host::{Options, TerminalStatus};

#[derive(Debug, Parser)]
#[command(
    name = "transcript-snapshot",
    version,
    about = "Hydrate, write and clear agent session snapshots through a gateway",
    after_help = crate::exit::HELP
)]
pub struct Cli {
    /// Run this component file instead of the one built into this binary.
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_WASM", global = true)]
    pub component: Option<PathBuf>,
    /// Where compiled components are cached (default: ~/.cache/transcript-snapshot).
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// Print the outcome as canonical JSON instead of a sentence (not for demo).
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

/// Parses the command line, exiting with a usage error (2) where clap alone
/// cannot tell: a token given both as a flag and as a file (clap would count
/// the environment variable as a conflict too), and `--json` on `demo`.
pub fn parse() -> Cli {
    let mut command = Cli::command();
    let matches = command.get_matches_mut();
    let usage = |message: &str| {
        command
            .clone()
            .error(ErrorKind::ArgumentConflict, message)
            .exit()
    };
    let typed = |sub: &ArgMatches, id: &str| sub.value_source(id) == Some(ValueSource::CommandLine);
    if let Some((name, sub)) = matches.subcommand() {
        for (flag, file) in [("token", "token_file"), ("run_token", "run_token_file")] {
            if sub.try_contains_id(flag).is_ok() && typed(sub, flag) && typed(sub, file) {
                usage(&format!(
                    "--{} and --{} both name a token: give one",
                    flag.replace('_', "-"),
                    file.replace('_', "-")
                ));
            }
        }
        if name == "demo" && matches.get_flag("json") {
            usage("--json does not apply to demo (it prints a table)");
        }
    }
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull the latest completed snapshot into the session file.
    #[command(after_help = crate::exit::HELP)]
    Hydrate {
        #[command(flatten)]
        gateway: GatewayArgs,
        /// The session file (its directory is the only one the component sees).
        #[arg(long)]
        session_file: PathBuf,
        /// Largest snapshot accepted, in bytes (default 64 MiB).
        #[arg(long)]
        max_hydrate_bytes: Option<u64>,
        /// Send no if-none-match: download the snapshot even when the session
        /// file holds it already (never "up to date"). A file replaced this
        /// way loses its recorded version (the .<name>.snapshot-version beside it).
        #[arg(long)]
        no_validators: bool,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Push the session file as the snapshot of a finished run.
    #[command(after_help = crate::exit::HELP)]
    Write {
        /// Gateway base URL, e.g. http://127.0.0.1:8787/lobu.
        #[arg(long, env = "TRANSCRIPT_SNAPSHOT_GATEWAY_URL")]
        gateway_url: String,
        /// The run's id (runId of the job payload).
        #[arg(long, env = "TRANSCRIPT_SNAPSHOT_RUN_ID")]
        run_id: Option<u64>,
        /// The per-run token (runJobToken of the job payload). As a flag it is
        /// visible to other users of this machine in `ps`: prefer
        /// TRANSCRIPT_SNAPSHOT_RUN_TOKEN or --run-token-file.
        #[arg(long, env = "TRANSCRIPT_SNAPSHOT_RUN_TOKEN", hide_env_values = true)]
        run_token: Option<String>,
        /// Read the per-run token from this file (one trailing newline is
        /// dropped); takes precedence over TRANSCRIPT_SNAPSHOT_RUN_TOKEN.
        #[arg(long)]
        run_token_file: Option<PathBuf>,
        /// The session file to send (its directory is mounted read-write, for
        /// the version sidecar beside it).
        #[arg(long)]
        session_file: PathBuf,
        /// How the run ended; only a completed run is sent.
        #[arg(long, value_enum)]
        status: Status,
        /// Largest session file sent, in bytes (default 4 MiB).
        #[arg(long)]
        max_write_bytes: Option<u64>,
        /// Send no if-match: store the file even if another pod stored a
        /// newer snapshot since it was hydrated (never exit 5). A file stored
        /// this way loses its recorded version (the .<name>.snapshot-version
        /// beside it).
        #[arg(long)]
        no_validators: bool,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Delete every snapshot of the conversation (session reset).
    #[command(after_help = crate::exit::HELP)]
    Clear {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Print the run binding of a job payload (from --payload or stdin) as
    /// shell `export` lines.
    #[command(after_help = crate::exit::HELP)]
    RunBinding {
        /// The job payload JSON; read from stdin when absent. It holds the run
        /// token, which a flag shows to other users in `ps`: prefer stdin.
        #[arg(long)]
        payload: Option<String>,
    },
    /// Walk one conversation across two pods against a local reference gateway.
    #[command(after_help = crate::exit::HELP)]
    Demo {
        /// Database of the gateway (default: a temporary SQLite file), e.g.
        /// postgres://…. A password in it shows in `ps`: prefer
        /// TRANSCRIPT_SNAPSHOT_DEMO_DATABASE.
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
        /// The running gateways' token secret, to mint the demo's tokens. As a
        /// flag it shows in `ps`: prefer SNAPSHOT_GATEWAY_SECRET.
        #[arg(long, env = "SNAPSHOT_GATEWAY_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
}

/// How a run ended, as `write` takes it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Status {
    Completed,
    Failed,
    Timeout,
    Cancelled,
}

impl From<Status> for TerminalStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Completed => TerminalStatus::Completed,
            Status::Failed => TerminalStatus::Failed,
            Status::Timeout => TerminalStatus::Timeout,
            Status::Cancelled => TerminalStatus::Cancelled,
        }
    }
}

/// The gateway and the deployment token, for `hydrate` and `clear`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Gateway base URL, e.g. http://127.0.0.1:8787/lobu.
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_GATEWAY_URL")]
    pub gateway_url: String,
    /// The worker's deployment token. As a flag it is visible to other users
    /// of this machine in `ps`: prefer TRANSCRIPT_SNAPSHOT_TOKEN or --token-file.
    #[arg(
        long,
        env = "TRANSCRIPT_SNAPSHOT_TOKEN",
        hide_env_values = true,
        required_unless_present = "token_file"
    )]
    pub token: Option<String>,
    /// Read the deployment token from this file (one trailing newline is
    /// dropped); takes precedence over TRANSCRIPT_SNAPSHOT_TOKEN.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
}

/// Deadlines and retries: every call reads all of them.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Overall deadline of the call, in milliseconds (default 30000; 60000 for write).
    #[arg(long)]
    pub timeout_ms: Option<u32>,
    /// Deadline to establish the connection, in milliseconds (default: the overall deadline).
    #[arg(long)]
    pub connect_timeout_ms: Option<u32>,
    /// Deadline for the response headers once the request is sent, in
    /// milliseconds (default: the overall deadline).
    #[arg(long)]
    pub first_byte_timeout_ms: Option<u32>,
    /// Longest silence between two chunks of a body, in milliseconds
    /// (default: the overall deadline).
    #[arg(long)]
    pub between_bytes_timeout_ms: Option<u32>,
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

impl CallArgs {
    /// The component's options: these, plus the one size limit and the
    /// validator switch the call reads (`no_validators` is false for clear,
    /// which offers no such flag).
    pub fn to_options(
        &self,
        max_write_bytes: Option<u64>,
        max_hydrate_bytes: Option<u64>,
        no_validators: bool,
    ) -> Options {
        Options {
            timeout_ms: self.timeout_ms,
            connect_timeout_ms: self.connect_timeout_ms,
            first_byte_timeout_ms: self.first_byte_timeout_ms,
            between_bytes_timeout_ms: self.between_bytes_timeout_ms,
            max_write_bytes,
            max_hydrate_bytes,
            max_attempts: self.max_attempts,
            retry_base_ms: self.retry_base_ms,
            retry_cap_ms: self.retry_cap_ms,
            // Unset keeps the component's default (validators on), so the
            // flag only ever turns them off.
            use_validators: no_validators.then_some(false),
        }
    }
}
