//! The single-call subcommands: run the component, print the outcome, and
//! say with the exit code whether something was done.

use crate::args::{GatewayArgs, OptionArgs};
use crate::mount::mount;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use transcript_snapshot_host::json;
use transcript_snapshot_host::{
    ClearOutcome, Describe, DescribeFailure, Gateway, HydrateOutcome, RunBinding, SnapshotHost,
    TerminalStatus, WriteOutcome,
};

/// What an outcome means for a shell script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Hydrated, stored, duplicate (already stored), cleared.
    Done = 0,
    /// The call failed; the session file is as it was.
    Failed = 1,
    /// Nothing to do: no snapshot on the gateway, or the write was skipped.
    Nothing = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

fn print(as_json: bool, canonical: serde_json::Value, sentence: String) {
    if as_json {
        println!("{canonical}");
    } else {
        println!("{sentence}");
    }
}

pub fn status(s: &str) -> Result<TerminalStatus, String> {
    match s {
        "completed" => Ok(TerminalStatus::Completed),
        "failed" => Ok(TerminalStatus::Failed),
        "timeout" => Ok(TerminalStatus::Timeout),
        "cancelled" => Ok(TerminalStatus::Cancelled),
        other => Err(format!(
            "unknown status {other:?}: use completed, failed, timeout or cancelled"
        )),
    }
}

fn gateway(g: &GatewayArgs) -> Gateway {
    Gateway {
        url: g.gateway_url.clone(),
        token: g.token.clone(),
    }
}

pub async fn hydrate(
    host: &SnapshotHost,
    g: &GatewayArgs,
    session_file: &Path,
    options: &OptionArgs,
    as_json: bool,
) -> Result<Exit, String> {
    let m = mount(session_file).map_err(|e| e.to_string())?;
    let call = host
        .hydrate(
            &m.sandbox(&g.gateway_url, false),
            &gateway(g),
            &m.guest_file,
            options.to_options(),
        )
        .await
        .map_err(|e| format!("the component trapped: {e}"))?;
    let (exit, sentence) = match &call.outcome {
        Ok(o @ HydrateOutcome::Hydrated(_)) => {
            (Exit::Done, format!("{o} into {}", session_file.display()))
        }
        Ok(o @ HydrateOutcome::NoSnapshot(_)) => (Exit::Nothing, o.to_string()),
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
    options: &OptionArgs,
    as_json: bool,
) -> Result<Exit, String> {
    let m = mount(session_file).map_err(|e| e.to_string())?;
    let call = host
        .write(
            &m.sandbox(gateway_url, true),
            gateway_url,
            run.as_ref(),
            &m.guest_file,
            status,
            options.to_options(),
        )
        .await
        .map_err(|e| format!("the component trapped: {e}"))?;
    let exit = match &call.outcome {
        WriteOutcome::Stored(_) | WriteOutcome::Duplicate(_) => Exit::Done,
        WriteOutcome::Skipped(_) => Exit::Nothing,
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
    options: &OptionArgs,
    as_json: bool,
) -> Result<Exit, String> {
    let call = host
        .clear(
            &transcript_snapshot_host::Sandbox::new()
                .allow_only(crate::mount::authority(&g.gateway_url)),
            &gateway(g),
            options.to_options(),
        )
        .await
        .map_err(|e| format!("the component trapped: {e}"))?;
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
) -> Result<Exit, String> {
    let payload = match payload {
        Some(p) => p.to_string(),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("reading stdin: {e}"))?;
            s
        }
    };
    let result = host
        .run_binding_from_payload(&payload)
        .await
        .map_err(|e| format!("the component trapped: {e}"))?;
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
