//! The demo's pods and its walk: one call per table row, each checked
//! against the outcome the step expects.

use crate::exit::CliError;
use crate::mount::authority;
use sha2::{Digest, Sha256};
use snapshot_gateway::{mint_token, TokenClaims};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use transcript_snapshot_host::{
    default_options, ClearOutcome, Gateway, HydrateOutcome, RunBinding, Sandbox, SnapshotHost,
    TerminalStatus, WriteOutcome,
};

const GUEST_FILE: &str = "/workspace/.openclaw/session.jsonl";
const TTL: Duration = Duration::from_secs(600);
const SCOPE: (&str, &str, &str) = ("org-demo", "agent-demo", "conversation-42");

pub struct Pod {
    pub name: &'static str,
    pub workspace: PathBuf,
}

impl Pod {
    fn session(&self) -> PathBuf {
        self.workspace.join(".openclaw/session.jsonl")
    }

    /// One agent turn: the worker appends to its session file.
    pub fn append_turn(&self, run: u64, text: &str) -> Result<(), CliError> {
        use std::io::Write;
        let append = || -> std::io::Result<()> {
            std::fs::create_dir_all(self.session().parent().unwrap_or(Path::new(".")))?;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.session())?;
            writeln!(
                f,
                r#"{{"type":"message","run":{run},"role":"user","text":"{text}"}}"#
            )?;
            writeln!(
                f,
                r#"{{"type":"message","run":{run},"role":"assistant","text":"noted: {text} ✓"}}"#
            )
        };
        append().map_err(CliError::local("appending a turn"))
    }

    pub fn sha256(&self) -> String {
        let bytes = std::fs::read(self.session()).unwrap_or_default();
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The session file's bytes and modification time: equal before and
    /// after a call only if the call did not write the file.
    pub fn state(&self) -> (String, Option<SystemTime>) {
        let modified = std::fs::metadata(self.session())
            .and_then(|m| m.modified())
            .ok();
        (self.sha256(), modified)
    }
}

/// Width of the outcome column; longer outcomes wrap inside it so the
/// expected and result columns stay aligned.
const OUTCOME_WIDTH: usize = 44;

/// `text` in lines of at most `width` characters, split at spaces (a longer
/// word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("never empty");
        if line.is_empty() {
            line.push_str(word);
        } else if line.chars().count() + 1 + word.chars().count() <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    lines
}

pub struct Walk<'a> {
    pub host: &'a SnapshotHost,
    /// Gateway replicas; pod A talks to the first, pod B to the last.
    pub urls: Vec<String>,
    pub secret: String,
    pub step: usize,
    pub failures: usize,
}

impl Walk<'_> {
    fn url(&self, pod: &Pod) -> String {
        let i = if pod.name == "pod-A" {
            0
        } else {
            self.urls.len() - 1
        };
        self.urls[i].clone()
    }

    fn sandbox(&self, pod: &Pod) -> Sandbox {
        Sandbox::new()
            .preopen(&pod.workspace, "/workspace")
            .allow_only(authority(&self.url(pod)))
    }

    fn token(&self, run: Option<u64>) -> Result<String, CliError> {
        let (org, agent, conv) = SCOPE;
        let claims = match run {
            Some(r) => TokenClaims::for_run(org, agent, conv, r as i64, TTL),
            None => TokenClaims::deployment(org, agent, conv, TTL),
        };
        mint_token(&self.secret, &claims).map_err(CliError::demo("minting a token"))
    }

    /// The gateway `pod` talks to, with a deployment token (hydrate, clear).
    fn gateway(&self, pod: &Pod) -> Result<Gateway, CliError> {
        Ok(Gateway {
            url: self.url(pod),
            token: self.token(None)?,
        })
    }

    pub fn header() {
        println!(
            "{:>2}  {:<5} {:<34} {:<44} {:<22} result",
            "#", "pod", "call", "outcome", "expected"
        );
    }

    fn row(&mut self, pod: &Pod, action: &str, outcome: String, expected: &str, ok: bool) {
        self.step += 1;
        if !ok {
            self.failures += 1;
        }
        let mark = if ok { "ok" } else { "UNEXPECTED" };
        let lines = wrap(&outcome, OUTCOME_WIDTH);
        println!(
            "{:>2}  {:<5} {:<34} {:<OUTCOME_WIDTH$} {:<22} {mark}",
            self.step, pod.name, action, lines[0], expected
        );
        for more in &lines[1..] {
            println!("{:45}{more}", "");
        }
    }

    /// A check between steps, printed under the step it follows.
    pub fn check(&mut self, what: &str, ok: bool) {
        println!("      {what}: {}", if ok { "yes" } else { "NO" });
        if !ok {
            self.failures += 1;
        }
    }

    pub async fn hydrate(
        &mut self,
        pod: &Pod,
        action: &str,
        expected: &str,
        want: impl Fn(&HydrateOutcome) -> bool,
    ) -> Result<(), CliError> {
        let gateway = self.gateway(pod)?;
        let call = self
            .host
            .hydrate(&self.sandbox(pod), &gateway, GUEST_FILE, default_options())
            .await
            .map_err(CliError::trapped("hydrate"))?;
        let (text, ok) = match &call.outcome {
            Ok(o) => (o.to_string(), want(o)),
            Err(e) => (
                transcript_snapshot_host::DescribeFailure(e).to_string(),
                false,
            ),
        };
        self.row(pod, action, text, expected, ok);
        Ok(())
    }

    pub async fn write(
        &mut self,
        pod: &Pod,
        run: u64,
        status: TerminalStatus,
        action: &str,
        expected: &str,
        want: impl Fn(&WriteOutcome) -> bool,
    ) -> Result<(), CliError> {
        let binding = RunBinding {
            run_id: run,
            token: self.token(Some(run))?,
        };
        let call = self
            .host
            .write(
                &self.sandbox(pod),
                &self.url(pod),
                Some(&binding),
                GUEST_FILE,
                status,
                default_options(),
            )
            .await
            .map_err(CliError::trapped("write"))?;
        let ok = want(&call.outcome);
        self.row(pod, action, call.outcome.to_string(), expected, ok);
        Ok(())
    }

    pub async fn clear(
        &mut self,
        pod: &Pod,
        expected: &str,
        want: impl Fn(&ClearOutcome) -> bool,
    ) -> Result<(), CliError> {
        let gateway = self.gateway(pod)?;
        let call = self
            .host
            .clear(
                &Sandbox::new().allow_only(authority(&gateway.url)),
                &gateway,
                default_options(),
            )
            .await
            .map_err(CliError::trapped("clear"))?;
        let ok = want(&call.outcome);
        self.row(
            pod,
            "clear (session reset)",
            call.outcome.to_string(),
            expected,
            ok,
        );
        Ok(())
    }

    pub fn same_bytes(&mut self, a: &Pod, b: &Pod) {
        let (ha, hb) = (a.sha256(), b.sha256());
        let ok = ha == hb && !ha.is_empty();
        println!(
            "      sha256 {}: {ha}\n      sha256 {}: {hb}  {}",
            a.name,
            b.name,
            if ok { "identical" } else { "DIFFERENT" }
        );
        if !ok {
            self.failures += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_outcomes_wrap_at_spaces() {
        assert_eq!(
            wrap("stored 150 bytes (HTTP 200)", 44),
            ["stored 150 bytes (HTTP 200)"]
        );
        assert_eq!(
            wrap("not stored: run 4 stored a newer snapshot", 20),
            ["not stored: run 4", "stored a newer", "snapshot"]
        );
    }
}
