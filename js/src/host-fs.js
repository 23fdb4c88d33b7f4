// The file calls a worker hands to the client's thread (wasi/channel.js
// blockingFs): those that wait for the disk. The worker blocks until the
// answer, so this only moves where the call waits: on a thread of libuv's
// pool, which does nothing else. Made from the worker itself, on a busy
// machine each such call waited for the CPU after the disk had answered
// (about a scheduler tick, ~4 ms, for a thread that keeps running the
// component), three times per hydrate; from the pool it is run at once.
import fs from 'node:fs';

const CALLS = { fsync: fs.fsync, fdatasync: fs.fdatasync, rename: fs.rename };

/** Runs `m.call(...m.args)` and answers `{ id, type: 'fs-done', code? }` through `post`. */
export function runBlockingFs(m, post) {
  const call = CALLS[m.call];
  const answer = (err) => post({ id: m.id, type: 'fs-done', code: err ? String(err.code ?? 'EIO') : undefined });
  if (!call) {
    answer({ code: 'ENOSYS' });
    return;
  }
  try {
    call(...m.args, answer);
  } catch (e) { // a bad argument, thrown before the call is made
    answer(e);
  }
}
