//! The single-call subcommands: run the component, print the outcome, and
//! say with the exit code whether something was done.

use crate::args::GatewayArgs;
use crate::exit::{CliError, Exit};
use crate::mount::mount;
use std::io::Read;
use std::path::Path;
use transcript_snapshot_host::json;
use transcript_snapshot_host::{
    ClearOutcome, Describe, DescribeFailure, Gateway, HydrateOutcome, Options, RunBinding,
    SnapshotHost, TerminalStatus, WriteOutcome,
};

fn print(as_json: bool, canonical: serde_json::Value, sentence: String) {
    if as_json {
        println!("{canonical}");
    } else {
        println!("{sentence}");
    }
}

/// The gateway with its token; clap has made sure one of flag, environment
/// or file was given.
fn gateway(g: &GatewayArgs) -> Result<Gateway, CliError> {
    let token = crate::token::resolve(g.token.clone(), g.token_file.as_deref())?;
    Ok(Gateway {
        url: g.gateway_url.clone(),
        token: token.unwrap_or_default(),
    })
}

pub async fn hydrate(
    host: &SnapshotHost,
    g: &GatewayArgs,
    session_file: &Path,
    options: Options,
    as_json: bool,
) -> Result<Exit, CliError> {
    let gateway = gateway(g)?;
    let m = mount(session_file).map_err(|e| CliError::SessionPath(session_file.into(), e))?;
    let call = host
        .hydrate(
            &m.sandbox(&g.gateway_url, false),
            &gateway,
            &m.guest_file,
            options,
        )
        .await
        .map_err(CliError::trapped("hydrate"))?;
    let (exit, sentence) = match &call.outcome {
        Ok(o @ HydrateOutcome::Hydrated(_)) => {
            (Exit::Done, format!("{o} into {}", session_file.display()))
        }
        Ok(o @ HydrateOutcome::NoSnapshot(_)) => (Exit::Nothing, o.to_string()),
        Ok(o @ HydrateOutcome::UpToDate(_)) => (Exit::Done, o.to_string()),
        Err(f) => (
            Exit::Failed,
            format!("hydrate failed: {}", DescribeFailure(f)),
        ),
    };
    print(as_json, json::hydrate(&call.outcome), sentence);
    Ok(exit)
}

#[allow(clippy::too_many_arguments)]
pub async fn write(
    host: &SnapshotHost,
    gateway_url: &str,
    run: Option<RunBinding>,
    session_file: &Path,
    status: TerminalStatus,
    options: Options,
    as_json: bool,
) -> Result<Exit, CliError> {
    let m = mount(session_file).map_err(|e| CliError::SessionPath(session_file.into(), e))?;
    let call = host
        .write(
            &m.sandbox(gateway_url, false),
            gateway_url,
            run.as_ref(),
            &m.guest_file,
            status,
            options,
        )
        .await
        .map_err(CliError::trapped("write"))?;
    let exit = match &call.outcome {
        WriteOutcome::Stored(_) | WriteOutcome::Duplicate(_) => Exit::Done,
        WriteOutcome::Skipped(_) => Exit::Nothing,
        WriteOutcome::Diverged(_) => Exit::Diverged,
        WriteOutcome::TooLarge(_) | WriteOutcome::Failed(_) => Exit::Failed,
    };
    print(
        as_json,
        json::write(&call.outcome),
        call.outcome.to_string(),
    );
    Ok(exit)
}

pub async fn clear(
    host: &SnapshotHost,
    g: &GatewayArgs,
    options: Options,
    as_json: bool,
) -> Result<Exit, CliError> {
    let gateway = gateway(g)?;
    let call = host
        .clear(
            &transcript_snapshot_host::Sandbox::new()
                .allow_only(crate::mount::authority(&g.gateway_url)),
            &gateway,
            options,
        )
        .await
        .map_err(CliError::trapped("clear"))?;
    let exit = match &call.outcome {
        ClearOutcome::Cleared(_) => Exit::Done,
        ClearOutcome::Failed(_) => Exit::Failed,
    };
    print(
        as_json,
        json::clear(&call.outcome),
        call.outcome.to_string(),
    );
    Ok(exit)
}

/// `'…'` with embedded quotes closed and reopened: safe for `eval`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub async fn run_binding(
    host: &SnapshotHost,
    payload: Option<&str>,
    as_json: bool,
) -> Result<Exit, CliError> {
    let payload = match payload {
        Some(p) => p.to_string(),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(CliError::local("reading the payload from stdin"))?;
            s
        }
    };
    let result = host
        .run_binding_from_payload(&payload)
        .await
        .map_err(CliError::trapped("run-binding"))?;
    let (exit, sentence) = match &result {
        Ok(Some(b)) => (
            Exit::Done,
            format!(
                "export TRANSCRIPT_SNAPSHOT_RUN_ID={}\nexport TRANSCRIPT_SNAPSHOT_RUN_TOKEN={}",
                b.run_id,
                shell_quote(&b.token)
            ),
        ),
        Ok(None) => (
            Exit::Nothing,
            "# no run binding in this payload".to_string(),
        ),
        Err(e) => (Exit::Failed, format!("# {}", Describe(e))),
    };
    print(as_json, json::run_binding(&result), sentence);
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
