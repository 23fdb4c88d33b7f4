// Early write-back of a file the worker is still writing (a hydrate's staging
// file), done on the client's thread. The component hints `advise dont-need`
// after every few MiB it writes; wasmtime turns that into posix_fadvise, which
// on Linux starts the disk writing those pages while the rest downloads, so
// the final fsync has little left to do. Node has neither fadvise nor
// sync_file_range; an asynchronous fdatasync on libuv's thread pool is the
// nearest, and it shortens a large hydrate (bench/README.md has the figures).
//
// It cannot run in the worker: the worker is blocked in the component for the
// whole call, so the callback that says a sync finished would only run after
// the call. Here the event loop runs, so at most one sync per file is ever in
// flight (a hint that arrives meanwhile queues one more, not one each), and
// one hydrate holds at most one thread of the pool.
//
// The fd is the worker's (fds are per process). The worker settles before it
// closes the fd, so a sync never reaches a number the process has reused.
import fs from 'node:fs';

export class BackgroundSync {
  #fdatasync;
  #files = new Map(); // fd → { again, waiters }: a sync in flight

  /** `fdatasync(fd, callback)`: node:fs's, or a stand-in in tests. */
  constructor(fdatasync = fs.fdatasync) {
    this.#fdatasync = fdatasync;
  }

  /** The file at `fd` has new bytes worth writing out now. */
  request(fd) {
    const busy = this.#files.get(fd);
    if (busy) busy.again = true;
    else this.#start(fd, { again: false, waiters: [] });
  }

  /**
   * Calls `done` once no sync of `fd` is in flight, and starts no more: the
   * worker is about to close it (after its own fsync, which makes it durable).
   */
  settle(fd, done) {
    const busy = this.#files.get(fd);
    if (!busy) {
      done();
      return;
    }
    busy.again = false;
    busy.waiters.push(done);
  }

  #start(fd, state) {
    this.#files.set(fd, state);
    // Errors are ignored: this only moves work earlier; the worker's own sync
    // reports any failure that matters.
    this.#fdatasync(fd, () => {
      if (state.again) {
        state.again = false;
        this.#start(fd, state);
        return;
      }
      this.#files.delete(fd);
      for (const done of state.waiters) done();
    });
  }
}
