//! Resolves an absolute guest path against the preopened directories.
//!
//! The component opens files through `wasi:filesystem` itself (not through
//! wasi-libc, whose open flags jco's shim refuses), so it does what libc would:
//! pick the preopen whose name is the longest prefix of the path, component by
//! component, and address the file relative to it.

use alloc::string::String;
use alloc::vec::Vec;

/// A session file, addressed relative to one preopened directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Index into the preopen list given to [`locate`].
    pub preopen: usize,
    /// Directories between the preopen and the file (may be empty).
    pub dirs: Vec<String>,
    /// The file's own name.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// The path is malformed; the text says why.
    Invalid(String),
    /// The path is well-formed but under no preopened directory.
    NotPreopened,
}

impl Located {
    /// The parent directory relative to the preopen (`.` for the preopen itself).
    pub fn dir_path(&self) -> String {
        if self.dirs.is_empty() {
            String::from(".")
        } else {
            self.dirs.join("/")
        }
    }

    /// A sibling of the file, relative to the preopen.
    pub fn sibling(&self, name: &str) -> String {
        let mut parts: Vec<&str> = self.dirs.iter().map(String::as_str).collect();
        parts.push(name);
        parts.join("/")
    }

    /// The file itself, relative to the preopen.
    pub fn file_path(&self) -> String {
        self.sibling(&self.name)
    }
}

fn components(path: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    for c in path.split('/').filter(|c| !c.is_empty()) {
        if c == "." || c == ".." {
            return Err(String::from(
                "session file path must not contain '.' or '..' components",
            ));
        }
        out.push(c);
    }
    Ok(out)
}

/// Locates `path` under the preopen with the longest matching name.
pub fn locate(path: &str, preopens: &[&str]) -> Result<Located, PathError> {
    if path.is_empty() {
        return Err(PathError::Invalid(String::from(
            "session file path is empty",
        )));
    }
    if path.as_bytes().contains(&0) {
        return Err(PathError::Invalid(String::from(
            "session file path contains a NUL byte",
        )));
    }
    if !path.starts_with('/') {
        return Err(PathError::Invalid(String::from(
            "session file path must be absolute",
        )));
    }
    if path.ends_with('/') {
        return Err(PathError::Invalid(String::from(
            "session file path names a directory, not a file",
        )));
    }
    let parts = components(path).map_err(PathError::Invalid)?;
    if parts.is_empty() {
        return Err(PathError::Invalid(String::from(
            "session file path names a directory, not a file",
        )));
    }
    let mut best: Option<(usize, usize)> = None;
    for (index, name) in preopens.iter().enumerate() {
        // Preopens named relatively (".") never match an absolute path.
        if !name.starts_with('/') {
            continue;
        }
        let Ok(prefix) = components(name) else {
            continue;
        };
        let fits = prefix.len() < parts.len() && parts[..prefix.len()] == prefix[..];
        if fits && best.is_none_or(|(_, len)| prefix.len() > len) {
            best = Some((index, prefix.len()));
        }
    }
    let (preopen, depth) = best.ok_or(PathError::NotPreopened)?;
    let (name, dirs) = parts[depth..].split_last().ok_or(PathError::NotPreopened)?;
    Ok(Located {
        preopen,
        dirs: dirs.iter().map(|d| String::from(*d)).collect(),
        name: String::from(*name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn picks_the_longest_preopen() {
        let pre = ["/", "/workspace", "/workspace/.openclaw", "/work"];
        let l = locate("/workspace/.openclaw/session.jsonl", &pre).unwrap();
        assert_eq!(
            (l.preopen, l.dirs.len(), l.name.as_str()),
            (2, 0, "session.jsonl")
        );
        assert_eq!(l.file_path(), "session.jsonl");
        assert_eq!(l.dir_path(), ".");
        let l = locate("/workspace/a/b/s.jsonl", &pre).unwrap();
        assert_eq!(l.preopen, 1);
        assert_eq!(l.file_path(), "a/b/s.jsonl");
        assert_eq!(l.sibling(".s.tmp"), "a/b/.s.tmp");
        assert_eq!(l.dir_path(), "a/b");
        // "/work" is not a prefix of "/workspace" component-wise.
        assert_eq!(
            locate("/workspacex/s", &pre[1..]).unwrap_err(),
            PathError::NotPreopened
        );
        assert_eq!(locate("/other/s", &pre).unwrap().preopen, 0);
        assert_eq!(locate("//workspace//s", &pre).unwrap().file_path(), "s");
    }

    #[test]
    fn rejects_relative_dotted_and_unmatched_paths() {
        let pre = ["/workspace", "."];
        for (p, why) in [
            ("", "empty"),
            ("workspace/s", "absolute"),
            ("/workspace/../etc/passwd", "'..'"),
            ("/workspace/./s", "'.'"),
            ("/workspace/dir/", "directory"),
            ("/", "directory"),
            ("/workspace/a\0b", "NUL"),
        ] {
            match locate(p, &pre) {
                Err(PathError::Invalid(e)) => assert!(e.contains(why), "{p}: {e}"),
                other => panic!("{p}: {other:?}"),
            }
        }
        assert_eq!(
            locate("/elsewhere/s", &pre).unwrap_err(),
            PathError::NotPreopened
        );
        // The preopen itself is not a file.
        assert_eq!(
            locate("/workspace", &pre).unwrap_err(),
            PathError::NotPreopened
        );
    }

    proptest! {
        #[test]
        fn total_and_stays_inside(path in "[/a-c.]{0,16}") {
            if let Ok(l) = locate(&path, &["/a", "/a/b", "/"]) {
                prop_assert!(!l.name.is_empty());
                prop_assert!(!l.file_path().split('/').any(|c| c == ".." || c.is_empty()));
            }
        }
    }
}
