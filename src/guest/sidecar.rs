//! The session file's version sidecar on disk (format in [`crate::version`]).
//!
//! Every operation is best effort: a sidecar only saves a download or
//! detects a fork, so a failure to read it means "no version known", and a
//! failure to replace it is followed by its removal where a stale one could
//! mislead. A sidecar is never the reason a call fails.

use super::fs::SessionFile;
use crate::staging;
use crate::version::{self, Sidecar, Stamp};
use alloc::string::String;
use wasi::filesystem::types::{DescriptorFlags, ErrorCode, OpenFlags, PathFlags};

/// What a call saw of the sidecar before it sent anything.
pub struct Seen {
    /// The recorded version, when validators are on and it is usable.
    pub version: Option<Sidecar>,
    /// False only when the call saw there is none: then a call that must
    /// forget the version has nothing to remove.
    may_exist: bool,
}

/// Largest sidecar read: the format's fixed lines plus the longest etag.
const MAX_SIDECAR_BYTES: u64 = 1024;

impl SessionFile {
    fn sidecar_path(&self) -> String {
        self.at.sibling(&version::sidecar_name(&self.at.name))
    }

    /// The session file's size and modification time now; `None` when it
    /// does not exist or cannot be read.
    pub fn stamp(&self) -> Option<Stamp> {
        let stat = self
            .root
            .stat_at(PathFlags::SYMLINK_FOLLOW, &self.at.file_path())
            .ok()?;
        Some(super::fs::stamp(&stat))
    }

    /// Reads the sidecar; with validators off it is not looked at (so it
    /// may be there). A sidecar unreadable or not in the format is no version.
    pub fn look_up_sidecar(&self, use_validators: bool) -> Seen {
        let unknown = Seen {
            version: None,
            may_exist: true,
        };
        if !use_validators {
            return unknown;
        }
        let file = match self.root.open_at(
            PathFlags::empty(),
            &self.sidecar_path(),
            OpenFlags::empty(),
            DescriptorFlags::READ,
        ) {
            Ok(file) => file,
            Err(ErrorCode::NoEntry) => {
                return Seen {
                    version: None,
                    may_exist: false,
                }
            }
            Err(_) => return unknown,
        };
        Seen {
            version: file
                .read(MAX_SIDECAR_BYTES, 0)
                .ok()
                .and_then(|(bytes, _)| Sidecar::parse(&bytes)),
            may_exist: true,
        }
    }

    /// Forgets the recorded version, unless `seen` showed there is none.
    pub fn forget_version(&self, seen: &Seen) {
        if seen.may_exist {
            self.remove_sidecar();
        }
    }

    fn remove_sidecar(&self) {
        let _ = self.root.unlink_file_at(&self.sidecar_path());
    }

    /// Records `sidecar`, replacing any other in one rename, so a reader
    /// sees the old record or the new, never a mix. No sync: a record lost
    /// to a crash only costs a download.
    pub fn write_sidecar(&self, sidecar: &Sidecar) {
        if self.try_write_sidecar(sidecar).is_err() {
            self.remove_sidecar();
        }
    }

    fn try_write_sidecar(&self, sidecar: &Sidecar) -> Result<(), ErrorCode> {
        let tag = wasi::random::insecure::get_insecure_random_u64();
        let temp = self
            .at
            .sibling(&staging::sidecar_temp_name(&self.at.name, tag));
        let file = self.root.open_at(
            PathFlags::empty(),
            &temp,
            OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
            DescriptorFlags::WRITE,
        )?;
        let written = super::fs::write_all_at(&file, sidecar.encode().as_bytes(), 0);
        drop(file);
        let renamed = written
            .map_err(|_| ErrorCode::Io)
            .and_then(|()| self.root.rename_at(&temp, &self.root, &self.sidecar_path()));
        if renamed.is_err() {
            let _ = self.root.unlink_file_at(&temp);
        }
        renamed
    }
}
