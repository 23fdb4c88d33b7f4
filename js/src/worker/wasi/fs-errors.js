// Node's fs errors as the wasi:filesystem error-codes the guest sees
// (./filesystem.js makes its node:fs calls through `wasi`). The table is the
// shim's (its convertFsError is not exported). Anything else that is not an
// errno-style error is a bug in ./filesystem.js and is rethrown (a trap), as
// the shim does.
const ERROR_CODES = {
  EACCES: 'access', EAGAIN: 'would-block', EWOULDBLOCK: 'would-block', EALREADY: 'already',
  EBADF: 'bad-descriptor', EBUSY: 'busy', EDEADLK: 'deadlock', EDQUOT: 'quota', EEXIST: 'exist',
  EFBIG: 'file-too-large', EILSEQ: 'illegal-byte-sequence', EINPROGRESS: 'in-progress',
  EINTR: 'interrupted', EINVAL: 'invalid', EIO: 'io', EISDIR: 'is-directory', ELOOP: 'loop',
  EMLINK: 'too-many-links', EMSGSIZE: 'message-size', ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device', ENOENT: 'no-entry', ENOLCK: 'no-lock', ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space', ENOTDIR: 'not-directory', ERR_FS_EISDIR: 'not-directory',
  ENOTEMPTY: 'not-empty', ENOTRECOVERABLE: 'not-recoverable', ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported', ENOTTY: 'no-tty', ENXIO: 'no-such-device', EOVERFLOW: 'overflow',
  EPERM: 'not-permitted', EPIPE: 'pipe', EROFS: 'read-only', ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy', EXDEV: 'cross-device',
};

export function fsErrorCode(e) {
  if (typeof e === 'string') return e; // already a wasi error-code (ours)
  const code = ERROR_CODES[e?.code];
  if (code) return code;
  if (e?.code === 'ERR_INVALID_ARG_VALUE') return 'invalid'; // e.g. a NUL byte in a path
  throw e;
}

/**
 * Runs `fn` (a node:fs call) capturing no stack for an error it throws: the
 * guest sees only the code, and an expected error (a missing sidecar, say)
 * would otherwise pay for a stack walk through the guest's frames, which
 * costs more than the call.
 */
export function quietly(fn) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Runs `fn`, turning Node errors into the wasi error-code the guest sees. */
export function wasi(fn) {
  try {
    return quietly(fn);
  } catch (e) {
    throw fsErrorCode(e);
  }
}
