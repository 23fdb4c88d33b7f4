//! Judges a case: sets up the sandbox, then compares the outcome, the files
//! and the recorded requests with what the case expects. Every harness (Rust,
//! Node, Python) goes through these same functions, in-process or through the
//! `conformance` binary, so a case means the same thing on every host.

use crate::cases::{After, Case, Entry, Tree};
use crate::mock_gateway::Recorded;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Fills `dir` with the case's `before` tree.
pub fn prepare(case: &Case, dir: &Path) {
    for (rel, entry) in &case.before {
        let path = dir.join(rel);
        match entry {
            Entry::Dir { .. } => std::fs::create_dir_all(&path).expect("create dir"),
            Entry::Contains { .. } => panic!("`contains` is for `after` only ({rel})"),
            Entry::File(_) | Entry::Aged { .. } | Entry::Stamped { .. } => {
                std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
                std::fs::write(&path, file_bytes(entry)).expect("write file");
            }
        }
        let at = match entry {
            Entry::Aged { seconds_ago, .. } => {
                Some(std::time::SystemTime::now() - std::time::Duration::from_secs(*seconds_ago))
            }
            Entry::Stamped { modified_at, .. } => {
                Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(*modified_at))
            }
            _ => None,
        };
        if let Some(at) = at {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(at))
                .expect("set modification time");
        }
    }
}

/// A file entry's bytes (empty for a directory).
fn file_bytes(entry: &Entry) -> Vec<u8> {
    match entry {
        Entry::File(bytes) => bytes.to_vec(),
        Entry::Aged { text, .. } | Entry::Stamped { text, .. } => text.as_bytes().to_vec(),
        Entry::Dir { .. } | Entry::Contains { .. } => Vec::new(),
    }
}

/// Replaces `{gateway}` and `{closed}` in a case URL.
pub fn url(template: &str, gateway: &str, closed: &str) -> String {
    template
        .replace("{gateway}", gateway)
        .replace("{closed}", closed)
}

/// Regular files and directories under `dir`, as relative paths.
fn scan(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    fn walk(
        base: &Path,
        dir: &Path,
        files: &mut BTreeMap<String, Vec<u8>>,
        dirs: &mut Vec<String>,
    ) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            let rel = p
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .into_owned();
            if p.is_dir() {
                dirs.push(rel);
                walk(base, &p, files, dirs);
            } else {
                files.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let (mut files, mut dirs) = (BTreeMap::new(), Vec::new());
    walk(dir, dir, &mut files, &mut dirs);
    (files, dirs)
}

fn show(bytes: &[u8]) -> String {
    if bytes.len() > 80 {
        return format!("<{} bytes>", bytes.len());
    }
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// The sandbox must hold exactly the expected regular files (byte for byte)
/// and every expected directory; any other file (a stray temp file) is a
/// problem, and so is a directory that is neither expected nor on the way to
/// an expected entry (e.g. parents created by a call that wrote nothing).
pub fn check_after(case: &Case, dir: &Path) -> Vec<String> {
    let expected: &Tree = match &case.expect.after {
        After::Keyword(k) if k == "unchanged" => &case.before,
        After::Keyword(k) => return vec![format!("unknown `after` keyword {k:?}")],
        After::Tree(t) => t,
    };
    let (mut files, dirs) = scan(dir);
    let mut problems = Vec::new();
    for (rel, entry) in expected {
        match entry {
            Entry::Dir { .. } if !dirs.contains(rel) => {
                problems.push(format!("directory {rel} missing"))
            }
            Entry::Dir { .. } => {}
            Entry::Contains { contains } => match files.remove(rel) {
                None => problems.push(format!("file {rel} missing")),
                Some(got) => {
                    let text = String::from_utf8_lossy(&got);
                    for part in contains.iter().filter(|p| !text.contains(p.as_str())) {
                        problems.push(format!("file {rel} holds {} without {part:?}", show(&got)));
                    }
                }
            },
            Entry::File(_) | Entry::Aged { .. } | Entry::Stamped { .. } => {
                let want = file_bytes(entry);
                match files.remove(rel) {
                    None => problems.push(format!("file {rel} missing")),
                    Some(got) if got != want => problems.push(format!(
                        "file {rel} holds {} instead of {}",
                        show(&got),
                        show(&want)
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    for rel in files.keys() {
        problems.push(format!("unexpected file {rel}"));
    }
    let on_the_way = |d: &str| {
        expected
            .keys()
            .any(|rel| rel == d || rel.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
    };
    for d in dirs.iter().filter(|d| !on_the_way(d)) {
        problems.push(format!("unexpected directory {d}"));
    }
    problems
}

/// Pattern match: objects match key by key (extra actual keys allowed), a
/// string `~text` matches any string containing `text`, everything else is equality.
pub fn matches(pattern: &Value, actual: &Value) -> bool {
    match (pattern, actual) {
        (Value::Object(p), Value::Object(a)) => p
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|x| matches(v, x))),
        (Value::String(p), Value::String(a)) if p.starts_with('~') => a.contains(&p[1..]),
        (Value::Array(p), Value::Array(a)) => {
            p.len() == a.len() && p.iter().zip(a).all(|(p, a)| matches(p, a))
        }
        _ => pattern == actual,
    }
}

/// The outcome must match the pattern and carry none of the call's secrets.
pub fn check_outcome(case: &Case, outcome: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if !matches(&case.expect.outcome, outcome) {
        problems.push(format!(
            "outcome {outcome} does not match {}",
            case.expect.outcome
        ));
    }
    let text = outcome.to_string();
    if case.secrets().iter().any(|s| text.contains(s)) {
        problems.push("outcome contains the token".to_string());
    }
    problems
}

/// The gateway must have received exactly the expected requests.
pub fn check_requests(case: &Case, got: &[Recorded]) -> Vec<String> {
    let Some(expected) = &case.expect.requests else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    if expected.len() != got.len() {
        problems.push(format!(
            "gateway received {} requests, expected {}",
            got.len(),
            expected.len()
        ));
    }
    for (i, (want, req)) in expected.iter().zip(got).enumerate() {
        if want.method != req.method || want.path != req.path {
            problems.push(format!(
                "request {i}: {} {} instead of {} {}",
                req.method, req.path, want.method, want.path
            ));
        }
        for (name, value) in &want.headers {
            let ok = req
                .headers
                .get(name)
                .is_some_and(|v| match value.strip_prefix('~') {
                    Some(part) => v.contains(part),
                    None => v == value,
                });
            if !ok {
                problems.push(format!(
                    "request {i}: header {name} is {:?}, expected {value:?}",
                    req.headers.get(name)
                ));
            }
        }
        for name in want
            .absent_headers
            .iter()
            .filter(|n| req.headers.contains_key(*n))
        {
            problems.push(format!(
                "request {i}: header {name} is {:?}, expected none",
                req.headers.get(name)
            ));
        }
        if want.complete != req.complete {
            problems.push(format!(
                "request {i}: body complete is {}, expected {}",
                req.complete, want.complete
            ));
        }
        if let Some(json) = &want.json {
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) if &v == json => {}
                Ok(v) => problems.push(format!("request {i}: JSON body {v} instead of {json}")),
                Err(e) => problems.push(format!(
                    "request {i}: body is not JSON ({e}): {}",
                    show(&req.body)
                )),
            }
        }
        if let Some(body) = &want.body {
            if req.body != body.to_vec() {
                problems.push(format!(
                    "request {i}: body {} instead of {}",
                    show(&req.body),
                    show(&body.to_vec())
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::matches;
    use serde_json::json;

    #[test]
    fn pattern_matching() {
        assert!(matches(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!matches(&json!({"a": 1, "c": 3}), &json!({"a": 1})));
        assert!(matches(
            &json!({"m": "~empty"}),
            &json!({"m": "gateway URL is empty"})
        ));
        assert!(!matches(&json!("no-snapshot"), &json!({"hydrated": 1})));
        assert!(matches(&json!({"x": null}), &json!({"x": null})));
    }
}
