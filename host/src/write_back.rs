//! Early write-back of a file the guest is still writing.
//!
//! During a large hydrate the component hints `advise dont-need` after every
//! few MiB it writes to its staging file. wasmtime-wasi turns that into
//! `posix_fadvise`, which on Linux starts write-back but leaves the journal
//! commit and most of the device work to the final fsync. This host answers
//! the hint with an `fdatasync` on tokio's blocking pool instead, so the disk
//! works while the rest of the body downloads and the guest's own sync at the
//! end finds little left to do. At most one sync per file is in flight; hints
//! that arrive meanwhile fold into one more after it. The task holds its own
//! reference to the file, so it never touches an fd the guest has closed.

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use wasmtime::component::{Linker, Resource};
use wasmtime::StoreContextMut;
use wasmtime_wasi::filesystem::{Descriptor, OpenMode};
use wasmtime_wasi::p2::bindings::filesystem::types::{Advice, ErrorCode};

use crate::state::State;

/// The wasmtime-wasi version of the interface whose `advise` this replaces.
const TYPES: &str = "wasi:filesystem/types@0.2.12";

type SyncFn = fn(&File) -> io::Result<()>;

/// The files of one call with a write-back requested.
pub(crate) struct WriteBack {
    sync: SyncFn,
    files: Vec<(Arc<File>, Arc<Mutex<Syncing>>)>,
}

#[derive(Default)]
struct Syncing {
    running: bool,
    again: bool,
}

impl Default for WriteBack {
    fn default() -> Self {
        Self::with_sync(File::sync_data)
    }
}

impl WriteBack {
    fn with_sync(sync: SyncFn) -> Self {
        Self {
            sync,
            files: Vec::new(),
        }
    }

    /// Starts a sync of `file` unless one is running, in which case one more
    /// runs after it.
    pub(crate) fn request(&mut self, file: &Arc<File>) {
        let state = match self.files.iter().find(|(f, _)| Arc::ptr_eq(f, file)) {
            Some((_, state)) => Arc::clone(state),
            None => {
                let state = Arc::<Mutex<Syncing>>::default();
                self.files.push((Arc::clone(file), Arc::clone(&state)));
                state
            }
        };
        {
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            if s.running {
                s.again = true;
                return;
            }
            s.running = true;
        }
        let (file, sync) = (Arc::clone(file), self.sync);
        // Errors are dropped: this only moves work earlier, and the guest's
        // own sync reports any failure that matters. The ambient runtime is
        // wasmtime-wasi's fallback when the caller polls us outside tokio
        // (where a bare spawn_blocking would panic); the task is detached.
        wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| {
            tokio::task::spawn_blocking(move || loop {
                let _ = sync(&file);
                let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
                if !s.again {
                    s.running = false;
                    return;
                }
                s.again = false;
            })
        });
    }
}

/// Replaces wasmtime-wasi's `descriptor.advise` in `linker`: `dont-need` on
/// a file open for writing requests a write-back; any other advice, or a file
/// open only to read, is accepted and does nothing (advice is a hint).
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance(TYPES)?.func_wrap_async(
        "[method]descriptor.advise",
        |mut store: StoreContextMut<'_, State>,
         (fd, _offset, _len, advice): (Resource<Descriptor>, u64, u64, Advice)| {
            Box::new(async move {
                let state = store.data_mut();
                let result = match state.table.get(&fd)? {
                    Descriptor::File(f) => {
                        if advice == Advice::DontNeed && f.open_mode.contains(OpenMode::WRITE) {
                            state.write_back.request(&f.file);
                        }
                        Ok(())
                    }
                    Descriptor::Dir(_) => Err(ErrorCode::BadDescriptor),
                };
                Ok((result,))
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Condvar;
    use std::time::{Duration, Instant};

    /// Syncs started and syncs the test has let finish.
    static GATE: Mutex<(usize, usize)> = Mutex::new((0, 0));
    static TURN: Condvar = Condvar::new();

    /// A sync that runs until the test lets it finish.
    fn gated_sync(_: &File) -> io::Result<()> {
        let mut g = GATE.lock().unwrap();
        g.0 += 1;
        let me = g.0;
        TURN.notify_all();
        let _g = TURN.wait_while(g, |g| g.1 < me).unwrap();
        Ok(())
    }

    fn wait_for(what: &str, ok: impl Fn(&(usize, usize)) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut g = GATE.lock().unwrap();
        while !ok(&g) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            g = TURN.wait_timeout(g, Duration::from_millis(10)).unwrap().0;
        }
    }

    fn started() -> usize {
        GATE.lock().unwrap().0
    }

    fn release(n: usize) {
        GATE.lock().unwrap_or_else(PoisonError::into_inner).1 = n;
        TURN.notify_all();
    }

    /// Lets every sync finish however the test ends, so a failed assertion
    /// does not leave the runtime waiting on a blocked thread.
    struct ReleaseAll;

    impl Drop for ReleaseAll {
        fn drop(&mut self) {
            release(usize::MAX);
        }
    }

    #[test]
    fn replaces_the_advise_wasmtime_wasi_defines() {
        let engine = wasmtime::Engine::default();
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        // Defining the name again without shadowing fails only if wasmtime-wasi
        // defined it: otherwise (after an upgrade that moved the interface's
        // version) the override would sit unused beside the real one.
        let again = linker
            .instance(TYPES)
            .unwrap()
            .func_wrap("[method]descriptor.advise", |_, (): ()| Ok(()));
        assert!(again.is_err(), "{TYPES} is not wasmtime-wasi's interface");
        add_to_linker(&mut linker).unwrap();
    }

    static PLAIN_SYNCS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    fn counting_sync(_: &File) -> io::Result<()> {
        PLAIN_SYNCS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    #[test]
    fn runs_when_polled_outside_a_tokio_runtime() {
        let file = Arc::new(tempfile::tempfile().unwrap());
        let mut wb = WriteBack::with_sync(counting_sync);
        wb.request(&file); // would panic on a bare tokio::task::spawn_blocking
        let deadline = Instant::now() + Duration::from_secs(10);
        while PLAIN_SYNCS.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the sync never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn one_sync_in_flight_and_one_more_for_the_hints_meanwhile() {
        let _release = ReleaseAll;
        let file = Arc::new(tempfile::tempfile().unwrap());
        let mut wb = WriteBack::with_sync(gated_sync);
        wb.request(&file);
        wait_for("the first sync", |g| g.0 == 1);
        for _ in 0..5 {
            wb.request(&file);
        }
        std::thread::sleep(Duration::from_millis(50)); // time for a wrong extra sync to start
        assert_eq!(started(), 1, "a second sync started while the first ran");
        release(1);
        wait_for("one more sync for the five hints", |g| g.0 == 2);
        release(2);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(started(), 2, "a third sync started with no hint pending");
        wb.request(&file); // idle again: starts at once
        wait_for("a sync for a new hint", |g| g.0 == 3);
        release(3);
    }
}
