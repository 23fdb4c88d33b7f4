// wasi:filesystem/types and wasi:filesystem/preopens, done synchronously in
// the component's worker thread with node:fs *Sync calls on real file
// descriptors. The shim made every descriptor call a blocking round trip to
// its I/O thread; a large write or hydrate makes hundreds of such calls, so
// those round trips were most of the gap to wasmtime.
// A plain pread/pwrite from this thread costs what the syscall costs, and
// blocking here is fine: the component is synchronous and the worker is its own.
//
// Only what the component calls really works (see src/guest/fs.rs): open-at,
// stat, stat-at (following a link only as open-at does), read, write, sync, advise,
// create-directory-at, read-directory, unlink-file-at, rename-at and drop. Everything else throws 'unsupported'. The component
// never reads or writes through streams, so this module hands out no stream
// or pollable.
//
// Sandbox (the same guarantees the shim gave): a path is relative to its
// descriptor; an absolute path, or a `..` that climbs above the descriptor, is
// 'not-permitted'. The directory a path names an entry in is checked on every
// use, from the preopen's realpath down: each directory below it must not be
// a link (one lstat apiece), and a link met on the way is resolved with
// realpath and must lead inside the preopen's realpath, so no symlink anywhere
// on the way (a parent directory included) leads out. The final component is
// followed only when the guest asks (symlink-follow), and then only if its
// realpath stays inside too; the file is always opened by its resolved path
// with O_NOFOLLOW, so a link swapped in after the check is refused, not
// followed. Node has no openat(), so a *parent* directory swapped for a link
// between the check and the open is not caught (the shim had the same
// window). POSIX hosts only (O_NOFOLLOW, O_DIRECTORY).
import fs from 'node:fs';
import path from 'node:path';
import { DiskPath } from '../disk-path.js';
import { fsErrorCode, quietly, wasi } from './fs-errors.js';
import { fileType, statOf } from './fs-stat.js';

const {
  O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC, O_RDONLY, O_WRONLY, O_RDWR, O_NOFOLLOW, O_NONBLOCK,
} = fs.constants;
const realpath = fs.realpathSync.native;
const symbolDispose = Symbol.dispose || Symbol.for('dispose');

const inside = (root, p) => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

// Closes the fd of a descriptor the guest never dropped (e.g. after a trap).
// It cannot wait for a write-back still in flight; the worst that can do is
// sync whatever file reuses the number, which is harmless.
const finalizer = new FinalizationRegistry((fd) => { try { fs.closeSync(fd); } catch { /* gone */ } });

// Reads at most this much per call: the guest asks for 256 KiB; a larger
// request gets a short read (allowed by the WIT) instead of a huge allocation.
const MAX_READ = 16 * 1024 * 1024;
// One scratch buffer for every read: jco copies the bytes into guest memory
// before read() returns to the guest, so the view is dead by the next call.
// A fresh 256 KiB buffer per call cost several times the pread itself.
let scratch = Buffer.allocUnsafeSlow(256 * 1024);

const unsupported = () => { throw 'unsupported'; };

/** One per worker: every descriptor's disk-waiting calls share the choice. */
const diskPath = new DiskPath();

export class Descriptor {
  #root; // the preopen this descriptor came from: { host, real, replaced } (see #rootReal, renameAt)
  #below = null; // a directory's path below the preopen's realpath, as names (see #parentOf); null for a file
  #fd = null; // null for a preopen, which holds no fd, and once dropped
  #preopen = false;
  #flags;
  #type;
  #writeBack; // the worker's Channel: { writeBack(fd), settleWriteBack(fd), blockingFs(call, ...args) }, or null
  #wroteBack = false; // a write-back was asked for: settle it before closing

  static _preopen(hostDir, writeBack, replaced) {
    const d = new Descriptor();
    d.#writeBack = writeBack;
    d.#root = { host: hostDir, real: null, replaced };
    d.#below = [];
    d.#preopen = true;
    d.#flags = { read: true, mutateDirectory: true };
    d.#type = 'directory';
    return d;
  }

  [symbolDispose]() {
    if (this.#fd === null) return;
    finalizer.unregister(this);
    const fd = this.#fd;
    this.#fd = null;
    if (this.#wroteBack && this.#writeBack.closeAfterWriteBack) {
      // The caller-thread mode cannot block: the fd closes once its write-back is over.
      this.#writeBack.closeAfterWriteBack(fd, () => { try { fs.closeSync(fd); } catch { /* already closed */ } });
      return;
    }
    try {
      if (this.#wroteBack) this.#writeBack.settleWriteBack(fd);
    } finally {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }
  }

  #open() {
    if (this.#fd === null) throw 'bad-descriptor';
    return this.#fd;
  }

  // The preopen's realpath, taken once per call: the component asks for the
  // preopens at the start of each call and gets fresh descriptors (see
  // filesystemView), so a preopen replaced between calls is seen by the next.
  // The directories below it (which the sandbox's own contents can change)
  // are still checked on each use (#parentOf).
  #rootReal() {
    const root = this.#root;
    root.real ??= wasi(() => realpath(root.host));
    return root.real;
  }

  // Resolves `subpath` for an operation on the entry it names: returns the
  // host path of that entry inside its realpath'ed parent, which is checked to
  // be inside the preopen. Throws 'not-permitted' for an escape.
  #resolve(subpath) {
    if (this.#below === null) throw 'not-directory';
    if (subpath.includes('\0')) throw 'invalid';
    if (subpath.startsWith('/')) throw 'not-permitted';
    const segments = [];
    for (const s of subpath.split('/')) {
      if (s === '' || s === '.') continue;
      if (s !== '..') segments.push(s);
      else if (segments.pop() === undefined) throw 'not-permitted'; // climbs above the descriptor
    }
    const root = this.#rootReal();
    const name = segments.pop();
    const parent = this.#parentOf(root, segments);
    if (name === undefined) return { root, host: parent, trailingSlash: false };
    return { root, host: path.join(parent, name), trailingSlash: subpath.endsWith('/') };
  }

  // The host path of the directory `segments` (names, no `.` or `..`) lead
  // to from this one, checked inside the preopen: what realpath would answer,
  // but looking only at the directories below the preopen's realpath (which
  // #rootReal took this call), each with one lstat, instead of every directory
  // from `/`. A link on the way is resolved with realpath and must stay inside.
  #parentOf(root, segments) {
    let dir = root;
    const names = this.#below.length === 0 ? segments : this.#below.concat(segments);
    for (const name of names) {
      dir = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const st = wasi(() => fs.lstatSync(dir, { throwIfNoEntry: false }));
      if (st === undefined) throw 'no-entry';
      if (st.isSymbolicLink()) {
        const real = wasi(() => realpath(path.join(root, ...names)));
        if (!inside(root, real)) throw 'not-permitted';
        return real;
      }
    }
    return dir;
  }

  openAt(pathFlags, subpath, openFlags, flags) {
    if (flags.requestedWriteSync || flags.mutateDirectory) throw 'unsupported';
    if (flags.fileIntegritySync || flags.dataIntegritySync) throw 'unsupported'; // as wasmtime
    let { root, host, trailingSlash } = this.#resolve(subpath);
    // What is at `host` (undefined: nothing), looked at once; its parent is
    // already resolved, so only a link there needs realpath.
    let entry;
    let looked = false;
    const look = () => {
      if (!looked) entry = wasi(() => fs.lstatSync(host, { throwIfNoEntry: false }));
      looked = true;
      return entry;
    };
    if (pathFlags.symlinkFollow || trailingSlash) {
      // Follow the final component only to a target inside the preopen. A
      // missing entry (or a dangling link) stays as is; O_NOFOLLOW below makes
      // the open refuse a link instead of creating its target.
      if (look()?.isSymbolicLink()) {
        let target = null;
        try { target = quietly(() => realpath(host)); } catch (e) { if (e.code !== 'ENOENT') throw fsErrorCode(e); }
        if (target !== null) {
          if (!inside(root, target)) throw 'not-permitted';
          host = target;
          looked = false;
        }
      }
    }
    let mode = flags.read && flags.write ? O_RDWR : flags.write ? O_WRONLY : O_RDONLY;
    if (openFlags.create) mode |= O_CREAT;
    if (openFlags.directory || trailingSlash) mode |= O_DIRECTORY;
    if (openFlags.exclusive) mode |= O_EXCL;
    if (openFlags.truncate) mode |= O_TRUNC;
    // A missing entry is an answer the component expects (no sidecar yet), not
    // an error worth an exception: asked first, without one.
    if (!openFlags.create && look() === undefined) throw 'no-entry';
    const fd = wasi(() => fs.openSync(host, mode | O_NOFOLLOW));
    // The type is known without an fstat when the entry was just looked at
    // (an entry swapped in between is still refused or fails its reads), or
    // when the open created it.
    const known = looked && entry !== undefined ? entry : null;
    let type;
    try {
      if (known !== null) type = fileType(known);
      else if (openFlags.create && openFlags.exclusive && !(openFlags.directory || trailingSlash)) type = 'regular-file';
      else type = fileType(fs.fstatSync(fd));
      if (type === 'directory' && flags.write) throw 'is-directory'; // as the shim
    } catch (e) {
      fs.closeSync(fd);
      throw fsErrorCode(e);
    }
    const d = new Descriptor();
    d.#root = this.#root;
    d.#writeBack = this.#writeBack;
    d.#fd = fd;
    d.#flags = { ...flags };
    d.#type = type;
    if (type === 'directory') d.#below = path.relative(root, host).split('/').filter((n) => n !== '');
    finalizer.register(d, fd, d);
    return d;
  }

  stat() {
    if (this.#preopen) return statOf(wasi(() => fs.statSync(this.#root.host, { bigint: true })));
    return statOf(wasi(() => fs.fstatSync(this.#open(), { bigint: true })));
  }

  read(length, offset) {
    const fd = this.#open();
    const want = Math.min(Number(length), MAX_READ);
    if (scratch.length < want) scratch = Buffer.allocUnsafeSlow(want);
    const n = wasi(() => fs.readSync(fd, scratch, 0, want, Number(offset)));
    // A short read of a file is its end (as of now): said, so the guest need
    // not read again to find nothing.
    return [scratch.subarray(0, n), n < want];
  }

  write(buffer, offset) {
    const fd = this.#open();
    return BigInt(wasi(() => fs.writeSync(fd, buffer, 0, buffer.byteLength, Number(offset))));
  }

  // The calls that wait for the disk (fsync, fdatasync, rename) are made
  // here or on the client's thread's libuv pool, whichever has lately been
  // faster (see ../disk-path.js); here when there is no channel (tests).
  #waiting(call, syncCall, ...args) {
    const channel = this.#writeBack;
    // The caller-thread mode (../../caller/channel.js): on libuv's pool, and
    // the guest is suspended on the promise (these imports are async there).
    if (channel?.asyncFs) return channel.asyncFs(call, ...args).catch((e) => { throw fsErrorCode(e); });
    if (!channel?.blockingFs) {
      wasi(() => syncCall(...args));
      return;
    }
    const where = diskPath.pick();
    const t0 = performance.now();
    try {
      if (where === 'pool') wasi(() => channel.blockingFs(call, ...args));
      else wasi(() => syncCall(...args));
    } finally {
      diskPath.record(where, performance.now() - t0);
    }
  }

  sync() {
    if (!this.#preopen) return this.#waiting('fsync', fs.fsyncSync, this.#open());
    // A preopen holds no fd: open its directory just to sync it (the shim
    // refused with 'invalid'; the guest tolerates either).
    const fd = wasi(() => fs.openSync(this.#rootReal(), O_RDONLY | O_DIRECTORY));
    let done;
    try { done = this.#waiting('fsync', fs.fsyncSync, fd); } finally { if (!done) fs.closeSync(fd); }
    if (done) return done.finally(() => fs.closeSync(fd));
    return undefined;
  }

  syncData() {
    if (this.#preopen) throw 'invalid';
    return this.#waiting('fdatasync', fs.fdatasyncSync, this.#open());
  }

  // A hint. `dont-need` on a file being written starts its write-back now
  // (what posix_fadvise does on Linux under wasmtime): the component gives it
  // every few MiB of a hydrate so the final sync has less left to do.
  advise(offset, length, advice) {
    const fd = this.#open();
    if (advice === 'dont-need' && this.#flags.write && this.#writeBack) {
      this.#writeBack.writeBack(fd);
      this.#wroteBack = true;
    }
  }

  createDirectoryAt(subpath) {
    const { host } = this.#resolve(subpath);
    wasi(() => fs.mkdirSync(host));
  }

  // The component lists the session file's directory for staging files that
  // crashed hydrates left behind, and stats each (never following a link).
  readDirectory() {
    const { host } = this.#resolve('.');
    const entries = wasi(() => fs.readdirSync(host, { withFileTypes: true }));
    return entryStream(entries.map((e) => ({ type: fileType(e), name: e.name })));
  }

  // Following a link: the component stats the session file (the file it
  // reads, whose size and mtime tie it to its version sidecar) as open-at
  // would see it, so a link is followed only to a target inside the preopen.
  statAt(pathFlags, subpath) {
    const { root, host } = this.#resolve(subpath);
    const entry = wasi(() => fs.lstatSync(host, { bigint: true }));
    if (!pathFlags.symlinkFollow || !entry.isSymbolicLink()) return statOf(entry);
    const target = wasi(() => realpath(host)); // a dangling link: no-entry
    if (!inside(root, target)) throw 'not-permitted';
    return statOf(wasi(() => fs.statSync(target, { bigint: true })));
  }

  // unlink and rename act on the entry itself, never on a link's target.
  unlinkFileAt(subpath) {
    const { host, trailingSlash } = this.#resolve(subpath);
    wasi(() => fs.unlinkSync(trailingSlash ? `${host}/` : host));
  }

  renameAt(oldPath, newDescriptor, newPath) {
    if (!(newDescriptor instanceof Descriptor)) throw 'bad-descriptor';
    const from = this.#resolve(oldPath);
    const to = newDescriptor.#resolve(newPath);
    // The file a rename replaces is held open until the call ends (see
    // filesystemView's endCall): its last link then goes without its last
    // reference, so the kernel frees its blocks at that later close, on
    // libuv's pool, not inside the rename, and the journal commit the
    // component's directory sync waits for does not carry them. A warm 633
    // KB hydrate took ~0.3 ms less (bench/README.md). Only a regular file is
    // opened: opening a device or a FIFO can have effects of its own.
    const { replaced } = newDescriptor.#root;
    if (replaced) {
      try {
        if (fs.lstatSync(to.host, { throwIfNoEntry: false })?.isFile()) {
          replaced.push(quietly(() => fs.openSync(to.host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)));
        }
      } catch { /* gone meanwhile, or not readable: nothing to hold */ }
    }
    return this.#waiting('rename', fs.renameSync, from.host, to.host);
  }

  getFlags() { return this.#flags; }
  getType() { return this.#type; }
  isSameObject(other) { return other === this; }

  // Not used by the component; present because the interface has them.
  readViaStream() { unsupported(); }
  writeViaStream() { unsupported(); }
  appendViaStream() { unsupported(); }
  setSize() { unsupported(); }
  setTimes() { unsupported(); }
  setTimesAt() { unsupported(); }
  linkAt() { unsupported(); }
  readlinkAt() { unsupported(); }
  removeDirectoryAt() { unsupported(); }
  symlinkAt() { unsupported(); }
  metadataHash() { unsupported(); }
  metadataHashAt() { unsupported(); }
}

const createPreopen = Descriptor._preopen;
delete Descriptor._preopen; // not callable by anyone holding the class

export class DirectoryEntryStream {
  #entries = [];

  static _of(entries) {
    const s = new DirectoryEntryStream();
    s.#entries = entries;
    return s;
  }

  // `undefined` is the end (option::none), as jco's bindings expect.
  readDirectoryEntry() { return this.#entries.shift(); }
}

const entryStream = DirectoryEntryStream._of;
delete DirectoryEntryStream._of;

/**
 * Import-object entries for one instance: `preopens` maps guest paths to host
 * directories (absolute, as SnapshotClient.open checked them); `writeBack`
 * (the worker's Channel) performs `advise dont-need`, which is a no-op without it.
 */
export function filesystemImports(preopens, { writeBack = null } = {}) {
  return filesystemView(preopens, { writeBack }).imports;
}

/**
 * The same imports, plus `set(preopens)`, which replaces what getDirectories
 * answers from then on, and `endCall(later?)`, to be called when a call of
 * the component is over: it closes, on libuv's pool, the files the call's
 * renames replaced (see renameAt), at once or in the callback it hands to
 * `later`. The component asks for the preopens at the start of every call,
 * so a worker that serves calls for different directories (the drop-in
 * functions' shared client) sandboxes each call to its own directory.
 */
export function filesystemView(preopens, { writeBack = null } = {}) {
  let entries;
  const set = (p) => {
    entries = Object.entries(p);
  };
  set(preopens);
  const replaced = [];
  const getDirectories = () => entries.map(([guest, host]) => [createPreopen(host, writeBack, replaced), guest]);
  const endCall = (later = (close) => close()) => {
    const fds = replaced.splice(0);
    if (fds.length > 0) later(() => { for (const fd of fds) fs.close(fd, () => {}); });
  };
  return { set, endCall, imports: filesystemTypes(getDirectories) };
}

function filesystemTypes(getDirectories) {
  return {
    'wasi:filesystem/preopens': { getDirectories },
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      // Stream errors never come from a file here (no file streams).
      filesystemErrorCode: () => undefined,
    },
  };
}
