//! `transcript-snapshot`: the component for shell-based workers and for
//! debugging. The exit codes are listed in `exit::HELP` (and `--help`).

mod args;
mod component;
mod demo;
mod exit;
mod logging;
mod mount;
mod ops;
mod token;

use args::{Cli, Command};
use exit::CliError;
use std::process::ExitCode;
use transcript_snapshot_host::RunBinding;

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let host = component::load(cli.component.as_deref(), cli.cache_dir.as_deref())?;
    let exit = match cli.command {
        Command::Hydrate {
            gateway,
            session_file,
            max_hydrate_bytes,
            no_validators,
            call,
        } => {
            let options = call.to_options(None, max_hydrate_bytes, no_validators);
            ops::hydrate(&host, &gateway, &session_file, options, cli.json).await?
        }
        Command::Write {
            gateway_url,
            run_id,
            run_token,
            run_token_file,
            session_file,
            status,
            max_write_bytes,
            no_validators,
            call,
        } => {
            let run_token = token::resolve(run_token, run_token_file.as_deref())?;
            let run = run_id
                .zip(run_token)
                .map(|(run_id, token)| RunBinding { run_id, token });
            let options = call.to_options(max_write_bytes, None, no_validators);
            ops::write(
                &host,
                &gateway_url,
                run,
                &session_file,
                status.into(),
                options,
                cli.json,
            )
            .await?
        }
        Command::Clear { gateway, call } => {
            ops::clear(
                &host,
                &gateway,
                call.to_options(None, None, false),
                cli.json,
            )
            .await?
        }
        Command::RunBinding { payload } => {
            ops::run_binding(&host, payload.as_deref(), cli.json).await?
        }
        Command::Demo {
            database,
            replicas,
            gateway_urls,
            secret,
        } => {
            let gateways = match secret.filter(|_| !gateway_urls.is_empty()) {
                Some(secret) => demo::Gateways::Running {
                    urls: gateway_urls,
                    secret,
                },
                None => demo::Gateways::Own { database, replicas },
            };
            return demo::run(&host, gateways).await;
        }
    };
    Ok(exit.into())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = args::parse();
    logging::init(cli.verbose);
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("transcript-snapshot: {error}");
            error.exit().into()
        }
    }
}
