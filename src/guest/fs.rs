//! wasi:filesystem glue. Every operation goes through the preopened directory
//! descriptor with a relative path and no `mutate-directory` flag, which is
//! what lets the same component run on wasmtime, jco and wasmtime-py.

use crate::guest_path::{self, Located, PathError};
use crate::staging::{self, Temp, Time};
use crate::types::{Error, FilesystemError};
use crate::version::Stamp;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wasi::clocks::wall_clock;
use wasi::filesystem::preopens;
use wasi::filesystem::types::{
    Advice, Datetime, Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode,
    OpenFlags, PathFlags,
};

/// Bytes read from a file per call: as large as guest memory allows, since
/// on jco every call is a round trip to the shim's I/O thread.
pub const FILE_CHUNK: u64 = 256 * 1024;

pub fn error(operation: &str, code: ErrorCode) -> Error {
    Error::Filesystem(FilesystemError {
        operation: operation.to_string(),
        code: code.name().to_string(),
    })
}

/// A session file and the preopened directory it lives under.
pub struct SessionFile {
    pub(super) root: Descriptor,
    pub(super) at: Located,
}

impl SessionFile {
    /// Finds the preopen `path` lives under. Touches nothing.
    pub fn locate(path: &str) -> Result<Self, Error> {
        let mut dirs = preopens::get_directories();
        let names: Vec<&str> = dirs.iter().map(|(_, name)| name.as_str()).collect();
        let at = guest_path::locate(path, &names).map_err(|e| match e {
            PathError::Invalid(message) => Error::InvalidInput(message),
            PathError::NotPreopened => Error::NotPreopened(path.to_string()),
        })?;
        let root = dirs.swap_remove(at.preopen).0;
        Ok(Self { root, at })
    }

    /// Opens the session file for reading; `None` when it does not exist.
    pub fn open_existing(&self) -> Result<Option<(Descriptor, Stamp)>, Error> {
        let file = match self.root.open_at(
            PathFlags::SYMLINK_FOLLOW,
            &self.at.file_path(),
            OpenFlags::empty(),
            DescriptorFlags::READ,
        ) {
            Ok(file) => file,
            Err(ErrorCode::NoEntry) => return Ok(None),
            Err(code) => return Err(error("open session file", code)),
        };
        let stat = file.stat().map_err(|c| error("stat session file", c))?;
        if stat.type_ == DescriptorType::Directory {
            return Err(error("open session file", ErrorCode::IsDirectory));
        }
        Ok(Some((file, stamp(&stat))))
    }

    /// Creates the directories between the preopen and the file.
    pub fn create_parents(&self) -> Result<(), Error> {
        let mut path = String::new();
        for dir in &self.at.dirs {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(dir);
            match self.root.create_directory_at(&path) {
                Ok(()) | Err(ErrorCode::Exist) => {}
                Err(code) => return Err(error("create parent directory", code)),
            }
        }
        Ok(())
    }

    /// Creates this call's own staging file beside the session file, under a
    /// fresh name (see [`staging`]) and exclusively, so no other call can be
    /// writing into it. `timeout_ms` is the call's deadline, which the name
    /// carries for [`SessionFile::remove_stale_temps`]. Missing parent
    /// directories are created when the first try says so and `parents` is
    /// [`Parents::Create`]: on the common path (they exist) that costs no call.
    pub fn create_staging(&self, timeout_ms: u32, parents: Parents) -> Result<Staging<'_>, Error> {
        let mut tries = 1;
        let mut made_parents = parents == Parents::Existing;
        loop {
            let tag = wasi::random::insecure::get_insecure_random_u64();
            let path = self
                .at
                .sibling(&staging::temp_name(&self.at.name, timeout_ms, tag));
            match self.root.open_at(
                PathFlags::empty(),
                &path,
                OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                DescriptorFlags::WRITE,
            ) {
                Ok(file) => {
                    return Ok(Staging {
                        session: self,
                        path,
                        file: Some(file),
                        promoted: false,
                    })
                }
                // Two equal 64-bit tags: only a poor random source makes this
                // happen twice.
                Err(ErrorCode::Exist) if tries < CREATE_TRIES => tries += 1,
                Err(ErrorCode::NoEntry) if !made_parents && !self.at.dirs.is_empty() => {
                    self.create_parents()?;
                    made_parents = true;
                }
                Err(code) => return Err(error("create temporary file", code)),
            }
        }
    }

    /// Removes the staging files of this session file that no live call can
    /// be writing: those of crashed hosts, once stale by [`staging::is_stale`].
    /// Best effort: a leftover only costs disk, so no failure here fails the call.
    /// Returns the directory it opened (none for the preopen itself, or when
    /// there is no directory yet), for [`SessionFile::sync_parent`] to reuse.
    pub fn remove_stale_temps(&self) -> Option<Descriptor> {
        let opened = if self.at.dirs.is_empty() {
            None
        } else {
            // No directory yet: nothing to clean.
            Some(self.open_parent().ok()?)
        };
        let dir = opened.as_ref().unwrap_or(&self.root);
        let Ok(entries) = dir.read_directory() else {
            return opened;
        };
        let now = time(wall_clock::now());
        while let Ok(Some(entry)) = entries.read_directory_entry() {
            let Some(temp) = staging::classify(&self.at.name, &entry.name) else {
                continue;
            };
            let stale = temp == Temp::Legacy
                || match dir.stat_at(PathFlags::empty(), &entry.name) {
                    Ok(stat) => {
                        stat.type_ == DescriptorType::RegularFile
                            && stat
                                .data_modification_timestamp
                                .is_some_and(|m| staging::is_stale(temp, time(m), now))
                    }
                    Err(_) => false,
                };
            if stale {
                let _ = dir.unlink_file_at(&entry.name);
            }
        }
        opened
    }

    fn open_parent(&self) -> Result<Descriptor, ErrorCode> {
        self.root.open_at(
            PathFlags::empty(),
            &self.at.dir_path(),
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ,
        )
    }

    /// Makes the rename durable, through `opened` (the session file's
    /// directory, opened earlier in this call) when there is one. Best effort:
    /// some hosts refuse to sync a directory (jco rejects it on a preopen),
    /// and the data itself is synced.
    pub fn sync_parent(&self, opened: Option<&Descriptor>) {
        if self.at.dirs.is_empty() {
            let _ = self.root.sync();
            return;
        }
        match opened {
            Some(dir) => {
                let _ = dir.sync();
            }
            None => {
                if let Ok(dir) = self.open_parent() {
                    let _ = dir.sync();
                }
            }
        }
    }
}

/// Whether [`SessionFile::create_staging`] may create missing parent directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parents {
    Create,
    Existing,
}

fn time(t: Datetime) -> Time {
    Time {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    }
}

/// A file's size and modification time (zero when the host has none).
pub fn stamp(stat: &DescriptorStat) -> Stamp {
    Stamp {
        size: stat.size,
        modified: stat.data_modification_timestamp.map_or(
            Time {
                seconds: 0,
                nanoseconds: 0,
            },
            time,
        ),
    }
}

/// Tries at creating a staging file under a fresh name.
const CREATE_TRIES: u32 = 4;

/// A staging file this call created. Removed when dropped unless promoted,
/// however the attempt ends: it only ever holds bytes never promoted.
pub struct Staging<'a> {
    session: &'a SessionFile,
    path: String,
    file: Option<Descriptor>,
    promoted: bool,
}

impl Staging<'_> {
    /// The open file to write the body into.
    pub fn file(&self) -> Result<&Descriptor, Error> {
        self.file
            .as_ref()
            .ok_or_else(|| error("write temporary file", ErrorCode::BadDescriptor))
    }

    /// Closes the staging file and atomically renames it over the session file.
    pub fn promote(mut self) -> Result<(), Error> {
        self.file = None;
        let root = &self.session.root;
        root.rename_at(&self.path, root, &self.session.at.file_path())
            .map_err(|c| error("rename temporary file over session file", c))?;
        self.promoted = true;
        Ok(())
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        self.file = None;
        if !self.promoted {
            let _ = self.session.root.unlink_file_at(&self.path);
        }
    }
}

/// Writes all of `data` at `offset`.
pub fn write_all_at(file: &Descriptor, mut data: &[u8], mut offset: u64) -> Result<(), Error> {
    while !data.is_empty() {
        let n = file
            .write(data, offset)
            .map_err(|c| error("write temporary file", c))?;
        if n == 0 {
            return Err(error("write temporary file", ErrorCode::Io));
        }
        let n = usize::try_from(n).unwrap_or(data.len()).min(data.len());
        data = &data[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Bytes written between two [`start_writeback`] calls during a hydrate.
pub const WRITEBACK_EVERY: u64 = 4 << 20;

/// Asks the host's kernel to start writing `len` bytes at `offset` to disk
/// now, so the final sync waits for less. On Linux `dont-need` starts
/// asynchronous write-back of dirty pages (as `sync_file_range` would) and
/// keeps them cached; only pages already clean, which a just-written range
/// rarely has, leave the cache. Elsewhere it may do nothing. Errors are
/// ignored: it only moves work earlier, the sync still makes it durable.
pub fn start_writeback(file: &Descriptor, offset: u64, len: u64) {
    let _ = file.advise(offset, len, Advice::DontNeed);
}

/// Syncs a file's data and metadata; a host without sync support is tolerated.
pub fn sync_file(file: &Descriptor) -> Result<(), Error> {
    match file.sync() {
        Ok(()) | Err(ErrorCode::Unsupported) => Ok(()),
        Err(code) => Err(error("sync temporary file", code)),
    }
}

/// Reads the next chunk at `offset`, and whether it ends the file: an empty
/// chunk always does, and a host may say so of a short one too (the package's
/// JS host does; wasmtime-wasi only of an empty one), which saves the read
/// that would find nothing.
pub fn read_chunk(file: &Descriptor, offset: u64) -> Result<(Vec<u8>, bool), Error> {
    file.read(FILE_CHUNK, offset)
        .map(|(bytes, eof)| {
            let eof = eof || bytes.is_empty();
            (bytes, eof)
        })
        .map_err(|c| error("read session file", c))
}
