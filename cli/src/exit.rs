//! What the CLI tells a shell script: the exit codes, and the errors that end
//! a run before an outcome is printed, each mapped to its code here and
//! nowhere else.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

/// The exit codes, as `--help` and the README list them.
pub const HELP: &str = "\
Exit codes:
  0  done: hydrated, up to date, stored, duplicate, cleared
  1  failed: the gateway refused or could not be reached, or the call failed
  2  usage: a missing or invalid flag
  3  nothing to do: no snapshot on the gateway, or the write was skipped
  4  set-up: no component at --component, a session file path that cannot be
     mounted, an unreadable token file
  5  diverged: write was refused (HTTP 412) because another pod stored a newer
     snapshot since the session file's version; nothing stored";

/// What an outcome or an error means for a shell script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Hydrated, stored, duplicate (already stored), cleared.
    Done = 0,
    /// The call failed; the session file is as it was.
    Failed = 1,
    /// Clap's own code for a usage error (kept here so `HELP` is checked).
    Usage = 2,
    /// Nothing to do: no snapshot on the gateway, or the write was skipped.
    Nothing = 3,
    /// Something on this machine is wrong before any request is sent.
    SetUp = 4,
    /// Another pod stored a newer snapshot since this file's version.
    Diverged = 5,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Why a run ended without an outcome to print. No variant holds a token:
/// a token file is named by its path only.
#[derive(Debug)]
pub enum CliError {
    /// `--component` / `TRANSCRIPT_SNAPSHOT_WASM` names no file.
    ComponentNotFound(PathBuf),
    /// The component could not be read or compiled (`None`: the built-in one).
    ComponentLoad(Option<PathBuf>, wasmtime::Error),
    /// The session file path cannot be mapped into the component's sandbox.
    SessionPath(PathBuf, io::Error),
    /// `--token-file` / `--run-token-file` cannot be read.
    TokenFile(PathBuf, io::Error),
    /// A local file or directory the command needs (stdin, the demo's
    /// workspaces) cannot be read or written.
    Local(&'static str, io::Error),
    /// The component stopped (trapped) instead of returning an outcome.
    Trapped(&'static str, wasmtime::Error),
    /// The demo could not start its gateways or mint its tokens.
    Demo(&'static str, String),
}

impl CliError {
    /// The one place errors meet exit codes.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::ComponentNotFound(_)
            | CliError::ComponentLoad(..)
            | CliError::SessionPath(..)
            | CliError::TokenFile(..)
            | CliError::Local(..) => Exit::SetUp,
            CliError::Trapped(..) | CliError::Demo(..) => Exit::Failed,
        }
    }

    /// For `map_err`: a local I/O error while doing `what`.
    pub fn local(what: &'static str) -> impl FnOnce(io::Error) -> CliError {
        move |e| CliError::Local(what, e)
    }

    /// For `map_err`: the demo could not do `what`.
    pub fn demo<E: fmt::Display>(what: &'static str) -> impl FnOnce(E) -> CliError {
        move |e| CliError::Demo(what, e.to_string())
    }

    /// For `map_err`: the component trapped during `call`.
    pub fn trapped(call: &'static str) -> impl FnOnce(wasmtime::Error) -> CliError {
        move |e| CliError::Trapped(call, e)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::ComponentNotFound(path) => write!(
                f,
                "component not found at {} (from --component or TRANSCRIPT_SNAPSHOT_WASM); \
                 leave both unset to use the built-in component",
                path.display()
            ),
            CliError::ComponentLoad(None, e) => write!(f, "loading the built-in component: {e:#}"),
            CliError::ComponentLoad(Some(path), e) => {
                write!(f, "loading {}: {e:#}", path.display())
            }
            CliError::SessionPath(path, e) => {
                write!(f, "cannot use {} as the session file: {e}", path.display())
            }
            CliError::TokenFile(path, e) => {
                write!(f, "cannot read the token file {}: {e}", path.display())
            }
            CliError::Local(what, e) => write!(f, "{what}: {e}"),
            CliError::Trapped(call, e) => write!(f, "{call}: the component trapped: {e:#}"),
            CliError::Demo(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code_once() {
        for exit in [
            Exit::Done,
            Exit::Failed,
            Exit::Usage,
            Exit::Nothing,
            Exit::SetUp,
            Exit::Diverged,
        ] {
            let line = format!("\n  {}  ", exit as u8);
            assert_eq!(HELP.matches(&line).count(), 1, "{exit:?}");
        }
    }

    #[test]
    fn set_up_problems_are_not_call_failures() {
        let io = || io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(CliError::ComponentNotFound("x".into()).exit(), Exit::SetUp);
        assert_eq!(CliError::TokenFile("t".into(), io()).exit(), Exit::SetUp);
        assert_eq!(
            CliError::Trapped("hydrate", wasmtime::Error::msg("boom")).exit(),
            Exit::Failed
        );
    }
}
