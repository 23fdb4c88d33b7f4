//! The conformance suite's data model. A case says what the sandbox holds
//! before, what the gateway answers, which call is made, and what must be
//! true after: the outcome, every file in the sandbox, and each request the
//! gateway received. The same files drive the wasmtime, jco and wasmtime-py
//! harnesses (see `cases/README.md`).

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bytes given in a case: text, base64, or a line repeated to a size.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Bytes {
    Text { text: String },
    Base64 { base64: String },
    Repeat { repeat: String, bytes: usize },
}

impl Bytes {
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Bytes::Text { text } => text.as_bytes().to_vec(),
            Bytes::Base64 { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .expect("valid base64 in case"),
            Bytes::Repeat { repeat, bytes } => repeat.bytes().cycle().take(*bytes).collect(),
        }
    }
}

/// A sandbox entry: a file with bytes, or a directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Entry {
    Dir {
        dir: bool,
    },
    /// A text file last modified this long ago (in `before`; `after` only
    /// compares the text): a staging file left by a crash goes only once old.
    Aged {
        text: String,
        #[serde(rename = "modified-seconds-ago")]
        seconds_ago: u64,
    },
    /// A text file last modified at exactly this Unix time, in whole
    /// seconds (in `before`; `after` only compares the text): what a
    /// version sidecar written beside it can name.
    Stamped {
        text: String,
        #[serde(rename = "modified-at")]
        modified_at: u64,
    },
    /// In `after` only: a text file holding each of these strings (a
    /// sidecar records a modification time no case can know).
    Contains {
        contains: Vec<String>,
    },
    File(Bytes),
}

/// Sandbox contents, by path relative to the sandbox root (`/workspace` in the guest).
pub type Tree = BTreeMap<String, Entry>;

/// The expected sandbox afterwards.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum After {
    /// `"unchanged"`: exactly what `before` described.
    Keyword(String),
    Tree(Tree),
}

/// `content-length` of a scripted reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Length {
    /// A number to announce, true or not.
    Lie(u64),
    /// `"auto"` (the real length) or `"none"` (no header).
    Mode(String),
}

/// What the connection does after the scripted bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Then {
    #[default]
    Close,
    Stall,
    Reset,
}

fn default_status() -> u16 {
    200
}

/// One scripted gateway reply. Request `i` gets reply `min(i, len - 1)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Reply {
    /// 0: send no response at all, only do `then`.
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
    pub content_length: Option<Length>,
    /// Send the body with `transfer-encoding: chunked`, in chunks of this size.
    pub chunked: Option<usize>,
    /// Send only this many body bytes, then do `then`.
    pub send_bytes: Option<usize>,
    /// Wait this long before the response headers.
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub then: Then,
    /// Answer without reading the request body first (a gateway that rejects early).
    #[serde(default)]
    pub answer_early: bool,
    /// Wait this long after the request headers before reading the body (a
    /// slow reader: the client's writes back up).
    #[serde(default)]
    pub read_delay_ms: u64,
}

impl Default for Reply {
    fn default() -> Self {
        Self {
            status: default_status(),
            headers: Vec::new(),
            body: None,
            content_length: None,
            chunked: None,
            send_bytes: None,
            delay_ms: 0,
            then: Then::Close,
            answer_early: false,
            read_delay_ms: 0,
        }
    }
}

impl Reply {
    /// A plain 200 with `body`.
    pub fn ok(body: &str) -> Self {
        Self {
            body: Some(Bytes::Text { text: body.into() }),
            ..Self::default()
        }
    }
}

/// The call under test. Field names follow the WIT.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Call {
    #[serde(rename_all = "kebab-case")]
    Hydrate {
        url: String,
        token: String,
        session_file: String,
        #[serde(default)]
        options: BTreeMap<String, Value>,
    },
    #[serde(rename_all = "kebab-case")]
    Write {
        url: String,
        run: Option<Run>,
        session_file: String,
        status: String,
        #[serde(default)]
        options: BTreeMap<String, Value>,
    },
    #[serde(rename_all = "kebab-case")]
    Clear {
        url: String,
        token: String,
        #[serde(default)]
        options: BTreeMap<String, Value>,
    },
    #[serde(rename_all = "kebab-case")]
    RunBindingFromPayload { payload: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Run {
    pub run_id: u64,
    pub token: String,
}

/// A request the gateway must have received. Headers are a subset match.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RequestSpec {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON must equal this.
    pub json: Option<Value>,
    /// The body must be exactly these bytes.
    pub body: Option<Bytes>,
    /// Headers the request must not carry.
    #[serde(default)]
    pub absent_headers: Vec<String>,
    /// Whether the body arrived whole (false: the client abandoned it).
    #[serde(default = "yes")]
    pub complete: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Expect {
    /// The outcome in canonical JSON, matched as a pattern (see `verdict`).
    pub outcome: Value,
    pub after: After,
    /// Every request the gateway received, in order. Absent: not checked.
    pub requests: Option<Vec<RequestSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub about: String,
    pub call: Call,
    #[serde(default)]
    pub before: Tree,
    #[serde(default)]
    pub gateway: Vec<Reply>,
    pub expect: Expect,
    /// Hosts the case applies to (`wasmtime`, `jco`, `wasmtime-py`); all when absent.
    pub hosts: Option<Vec<String>>,
}

impl Case {
    pub fn applies_to(&self, host: &str) -> bool {
        self.hosts
            .as_ref()
            .is_none_or(|h| h.iter().any(|x| x == host))
    }

    /// Every secret the call carries; none may appear in its outcome.
    pub fn secrets(&self) -> Vec<&str> {
        let mut s = match &self.call {
            Call::Hydrate { token, .. } | Call::Clear { token, .. } => vec![token.as_str()],
            Call::Write { run: Some(r), .. } => vec![r.token.as_str()],
            Call::Write { run: None, .. } | Call::RunBindingFromPayload { .. } => vec![],
        };
        // The component masks tokens of 8 characters or more (shorter ones
        // would garble messages); cases use distinctive ones.
        s.retain(|t| t.len() >= 8);
        s
    }
}

/// The folder holding the case files.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Files in the cases folder that are not case lists: the specifications
/// every host's suite checks besides running the cases (see `cases/README.md`).
pub const NOT_CASES: [&str; 2] = ["canonical.json", "descriptions.json"];

/// Every case file in `dir` (each `*.json` but [`NOT_CASES`]), sorted.
pub fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read cases dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| NOT_CASES.iter().any(|x| n == *x))
        })
        .collect();
    files.sort();
    files
}

/// Every case of every case file in `dir`, in file then listed order.
pub fn load_all(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for file in case_files(dir) {
        let text = std::fs::read_to_string(&file).expect("read case file");
        let mut list: Vec<Case> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        cases.append(&mut list);
    }
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("duplicate case name {}", w[0]);
    }
    cases
}

/// Finds one case by name.
pub fn find(dir: &Path, name: &str) -> Case {
    load_all(dir)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case named {name}"))
}
