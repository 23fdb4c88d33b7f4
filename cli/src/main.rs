//! `transcript-snapshot`: the component for shell-based workers and for
//! debugging. Exit codes: 0 done, 1 failed, 2 usage, 3 nothing to do.

mod args;
mod component;
mod demo;
mod logging;
mod mount;
mod ops;

use args::{Cli, Command};
use clap::Parser;
use ops::Exit;
use std::process::ExitCode;
use transcript_snapshot_host::RunBinding;

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let host = component::load(cli.component.as_deref(), cli.cache_dir.as_deref())?;
    let exit = match cli.command {
        Command::Hydrate {
            gateway,
            session_file,
            options,
        } => ops::hydrate(&host, &gateway, &session_file, &options, cli.json).await?,
        Command::Write {
            gateway_url,
            run_id,
            run_token,
            session_file,
            status,
            options,
        } => {
            let run = run_id
                .zip(run_token)
                .map(|(run_id, token)| RunBinding { run_id, token });
            let status = ops::status(&status)?;
            ops::write(
                &host,
                &gateway_url,
                run,
                &session_file,
                status,
                &options,
                cli.json,
            )
            .await?
        }
        Command::Clear { gateway, options } => {
            ops::clear(&host, &gateway, &options, cli.json).await?
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
    let cli = Cli::parse();
    logging::init(cli.verbose);
    match run(cli).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("transcript-snapshot: {message}");
            Exit::Failed.into()
        }
    }
}
