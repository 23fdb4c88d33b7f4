//! Least authority for a command-line call: the component sees only the
//! session file's directory, and reaches only the gateway's authority.

use std::io;
use std::path::{Path, PathBuf};
use transcript_snapshot_host::Sandbox;

/// Where the session file's directory appears inside the guest.
const GUEST_DIR: &str = "/session";

/// A host session file mapped into the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub host_dir: PathBuf,
    pub guest_file: String,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Maps `session_file` into the guest. The directory is mounted as it is;
/// when it does not exist yet, its nearest existing ancestor is (so the
/// component, not the CLI, decides what a missing file means).
pub fn mount(session_file: &Path) -> io::Result<Mount> {
    let path = std::path::absolute(session_file)?;
    if path.file_name().is_none() {
        return Err(invalid(format!("{} is not a file path", path.display())));
    }
    let mut dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    while !dir.is_dir() {
        dir = match dir.parent() {
            Some(p) => p.to_path_buf(),
            None => return Err(invalid("no existing ancestor directory".into())),
        };
    }
    // The host preopens this directory only once the call starts; opening it
    // here makes an unusable one a set-up error, not a failed call.
    std::fs::read_dir(&dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {}: {e}", dir.display())))?;
    let rel = path
        .strip_prefix(&dir)
        .map_err(|e| invalid(e.to_string()))?;
    let rel = rel
        .to_str()
        .ok_or_else(|| invalid(format!("{} is not valid UTF-8", path.display())))?;
    Ok(Mount {
        host_dir: dir,
        guest_file: format!("{GUEST_DIR}/{rel}"),
    })
}

/// `host[:port]` of a gateway URL, as the guest will send it.
pub fn authority(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(rest[..end].to_ascii_lowercase()).filter(|a| !a.is_empty())
}

impl Mount {
    /// The sandbox for a call: this directory (read-only when `read_only`),
    /// and requests only to `gateway_url`'s authority.
    pub fn sandbox(&self, gateway_url: &str, read_only: bool) -> Sandbox {
        let sandbox = if read_only {
            Sandbox::new().preopen_read_only(&self.host_dir, GUEST_DIR)
        } else {
            Sandbox::new().preopen(&self.host_dir, GUEST_DIR)
        };
        sandbox.allow_only(authority(gateway_url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_the_directory_or_its_nearest_ancestor() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("session.jsonl");
        let m = mount(&file).unwrap();
        assert_eq!(m.host_dir, tmp.path());
        assert_eq!(m.guest_file, "/session/session.jsonl");
        let deep = tmp.path().join("a/b/session.jsonl");
        let m = mount(&deep).unwrap();
        assert_eq!(m.host_dir, tmp.path());
        assert_eq!(m.guest_file, "/session/a/b/session.jsonl");
    }

    #[test]
    fn authority_is_host_and_port() {
        assert_eq!(
            authority("http://GW.test:8787/lobu").as_deref(),
            Some("gw.test:8787")
        );
        assert_eq!(authority("https://gw.test").as_deref(), Some("gw.test"));
        assert_eq!(authority("nonsense"), None);
    }
}
