// The file calls a worker may hand to the client's thread (../worker/channel.js
// blockingFs): those that wait for the disk (fsync, fdatasync, rename). The
// worker blocks until the answer, so this only moves where the call waits:
// to a thread of libuv's pool, as fs.promises (and the reference client)
// would. Made synchronously from a JavaScript thread, the worker's or any
// other, each such call took several times longer whenever other processes
// kept the cores busy (see bench/README.md, "Warm calls"); a hydrate makes
// three.
import fs from 'node:fs';
import { MESSAGE } from '../shared/protocol.js';

const CALLS = { fsync: fs.fsync, fdatasync: fs.fdatasync, rename: fs.rename };

/** Runs `m.call(...m.args)` and answers `{ id, type: MESSAGE.FS_DONE, code? }` through `post`. */
export function runBlockingFs(m, post) {
  const call = CALLS[m.call];
  const answer = (err) => post({ id: m.id, type: MESSAGE.FS_DONE, code: err ? String(err.code ?? 'EIO') : undefined });
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
