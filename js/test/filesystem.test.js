// The package's wasi:filesystem (src/worker/wasi/filesystem.js), called directly the
// way jco's bindings call it. The component itself refuses absolute paths and
// `..` before they reach the host, so the sandbox's own refusals are checked here.
import assert from 'node:assert/strict';
import { fstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fs from 'node:fs';
import { runBlockingFs } from '../src/main/host-fs.js';
import { MESSAGE } from '../src/shared/protocol.js';
import { DiskPath } from '../src/worker/disk-path.js';
import { filesystemImports } from '../src/worker/wasi/filesystem.js';

const FOLLOW = { symlinkFollow: true };
const NOFOLLOW = { symlinkFollow: false };
const NONE = {};
const READ = { read: true };
const CREATE = { create: true, truncate: true };
const WRITE = { write: true };
const drop = (d) => d[Symbol.dispose || Symbol.for('dispose')](); // what jco does on a resource drop

let root; let ws; let outside; let dir;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ts-jco-fs-'));
  ws = path.join(root, 'ws');
  outside = path.join(root, 'outside');
  mkdirSync(path.join(ws, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret'), 'SECRET\n');
  writeFileSync(path.join(ws, 'sub/file'), 'inside\n');
  symlinkSync(outside, path.join(ws, 'out-dir')); // a parent directory leading out
  symlinkSync(path.join(outside, 'secret'), path.join(ws, 'out-file'));
  symlinkSync('sub/file', path.join(ws, 'in-file')); // a link that stays inside
  const imports = filesystemImports({ '/workspace': ws });
  [[dir]] = imports['wasi:filesystem/preopens'].getDirectories();
});
after(() => rmSync(root, { recursive: true, force: true }));

function code(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a wasi error-code');
}

describe('wasi:filesystem sandbox', () => {
  it('refuses absolute paths', () => {
    assert.equal(code(() => dir.openAt(FOLLOW, path.join(outside, 'secret'), NONE, READ)), 'not-permitted');
    assert.equal(code(() => dir.openAt(NOFOLLOW, '/etc/passwd', NONE, READ)), 'not-permitted');
    assert.equal(code(() => dir.createDirectoryAt(path.join(outside, 'made'))), 'not-permitted');
    assert.equal(code(() => dir.unlinkFileAt(path.join(outside, 'secret'))), 'not-permitted');
  });

  it('refuses a `..` that climbs out, from the preopen and from a directory below it', () => {
    assert.equal(code(() => dir.openAt(FOLLOW, '../outside/secret', NONE, READ)), 'not-permitted');
    assert.equal(code(() => dir.openAt(FOLLOW, 'sub/../../outside/secret', NONE, READ)), 'not-permitted');
    assert.equal(code(() => dir.openAt(NOFOLLOW, '..', { directory: true }, READ)), 'not-permitted');
    assert.equal(code(() => dir.renameAt('sub/file', dir, '../outside/moved')), 'not-permitted');
    const sub = dir.openAt(NOFOLLOW, 'sub', { directory: true }, READ);
    try {
      assert.equal(code(() => sub.openAt(FOLLOW, '../sub/file', NONE, READ)), 'not-permitted');
    } finally {
      drop(sub);
    }
    // A `..` that stays inside is fine.
    const f = dir.openAt(FOLLOW, 'sub/../sub/file', NONE, READ);
    try {
      assert.equal(Buffer.from(f.read(100n, 0n)[0]).toString(), 'inside\n');
    } finally {
      drop(f);
    }
  });

  it('does not go through a symlinked parent directory that leads out', () => {
    assert.equal(code(() => dir.openAt(FOLLOW, 'out-dir/secret', NONE, READ)), 'not-permitted');
    assert.equal(code(() => dir.openAt(NOFOLLOW, 'out-dir/new', CREATE, WRITE)), 'not-permitted');
    assert.equal(code(() => dir.createDirectoryAt('out-dir/made')), 'not-permitted');
    assert.equal(code(() => dir.unlinkFileAt('out-dir/secret')), 'not-permitted');
    assert.equal(code(() => dir.renameAt('out-dir/secret', dir, 'stolen')), 'not-permitted');
    assert.equal(code(() => dir.openAt(FOLLOW, 'out-dir', { directory: true }, READ)), 'not-permitted');
    assert.deepEqual(readdirSync(outside), ['secret']);
    assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'SECRET\n');
  });

  it('checks the directories below the preopen on every use: one swapped for a link is followed only inside', () => {
    mkdirSync(path.join(ws, 'moving'));
    writeFileSync(path.join(ws, 'moving/f'), 'moved\n');
    const text = (d, p) => {
      const f = d.openAt(NOFOLLOW, p, NONE, READ);
      try { return Buffer.from(f.read(100n, 0n)[0]).toString(); } finally { drop(f); }
    };
    const moving = dir.openAt(NOFOLLOW, 'moving', { directory: true }, READ);
    try {
      assert.equal(text(moving, 'f'), 'moved\n');
      fs.renameSync(path.join(ws, 'moving'), path.join(ws, 'moved'));
      symlinkSync(outside, path.join(ws, 'moving')); // the opened directory's path now leads out
      assert.equal(code(() => moving.openAt(NOFOLLOW, 'secret', NONE, READ)), 'not-permitted');
      assert.equal(code(() => dir.openAt(NOFOLLOW, 'moving/secret', NONE, READ)), 'not-permitted');
      rmSync(path.join(ws, 'moving'));
      symlinkSync('moved', path.join(ws, 'moving')); // a link that stays inside: followed
      assert.equal(text(moving, 'f'), 'moved\n');
      assert.equal(text(dir, 'moving/f'), 'moved\n');
      rmSync(path.join(ws, 'moving'));
      assert.equal(code(() => text(moving, 'f')), 'no-entry');
    } finally {
      drop(moving);
      rmSync(path.join(ws, 'moved'), { recursive: true });
    }
  });

  it('takes the preopen\'s realpath once per call: the next call sees a preopen moved in between', () => {
    // The preopen is given as a link (an operator's path), re-pointed between
    // two calls; each call starts with getDirectories.
    const [a, b, link] = ['pa', 'pb', 'p-link'].map((n) => path.join(root, n));
    for (const [d, text] of [[a, 'a'], [b, 'b']]) {
      mkdirSync(d);
      writeFileSync(path.join(d, 'which'), text);
    }
    symlinkSync(a, link);
    const { getDirectories } = filesystemImports({ '/workspace': link })['wasi:filesystem/preopens'];
    const which = (d) => {
      const f = d.openAt(NOFOLLOW, 'which', NONE, READ);
      try {
        return Buffer.from(f.read(10n, 0n)[0]).toString();
      } finally {
        drop(f);
      }
    };
    const [[first]] = getDirectories();
    assert.equal(which(first), 'a');
    rmSync(link);
    symlinkSync(b, link);
    const [[second]] = getDirectories();
    assert.equal(which(second), 'b');
    // The first call's descriptor stays in the directory that call resolved,
    // as a directory fd would (wasmtime's preopens are fds): the moved link
    // is not followed again.
    assert.equal(which(first), 'a');
  });

  it('follows a final symlink only when asked, and only inside the preopen', () => {
    assert.equal(code(() => dir.openAt(FOLLOW, 'out-file', NONE, READ)), 'not-permitted');
    assert.equal(code(() => dir.openAt(NOFOLLOW, 'out-file', NONE, READ)), 'loop');
    assert.equal(code(() => dir.openAt(NOFOLLOW, 'out-file', CREATE, WRITE)), 'loop');
    assert.equal(code(() => dir.openAt(NOFOLLOW, 'in-file', NONE, READ)), 'loop');
    const f = dir.openAt(FOLLOW, 'in-file', NONE, READ);
    try {
      assert.equal(f.stat().type, 'regular-file');
      assert.equal(f.stat().size, 7n);
    } finally {
      drop(f);
    }
    assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'SECRET\n');
  });
});

describe('wasi:filesystem directory listing and stat-at', () => {
  const list = (d) => {
    const stream = d.readDirectory();
    const out = [];
    for (let e = stream.readDirectoryEntry(); e !== undefined; e = stream.readDirectoryEntry()) out.push(`${e.name}:${e.type}`);
    return out.sort();
  };

  it('lists a directory with each entry\'s type, never following a link', () => {
    mkdirSync(path.join(ws, 'listed'));
    writeFileSync(path.join(ws, 'listed/a'), 'a');
    symlinkSync(path.join(outside, 'secret'), path.join(ws, 'listed/out'));
    const d = dir.openAt(NOFOLLOW, 'listed', { directory: true }, READ);
    try {
      assert.deepEqual(list(d), ['a:regular-file', 'out:symbolic-link']);
      assert.equal(d.statAt(NOFOLLOW, 'a').type, 'regular-file');
      assert.equal(d.statAt(NOFOLLOW, 'a').size, 1n);
      assert.equal(typeof d.statAt(NOFOLLOW, 'a').dataModificationTimestamp.seconds, 'bigint');
      assert.equal(d.statAt(NOFOLLOW, 'out').type, 'symbolic-link'); // the link, not the secret
      assert.equal(code(() => d.statAt(FOLLOW, 'out')), 'not-permitted'); // followed only inside the preopen
      assert.equal(code(() => d.statAt(NOFOLLOW, 'missing')), 'no-entry');
      assert.equal(code(() => d.statAt(FOLLOW, 'missing')), 'no-entry');
    } finally {
      drop(d);
    }
    assert.ok(list(dir).includes('listed:directory')); // the preopen lists too
  });

  it('stats a link\'s target when asked to follow it, as open-at would open it', () => {
    assert.equal(dir.statAt(NOFOLLOW, 'in-file').type, 'symbolic-link');
    const followed = dir.statAt(FOLLOW, 'in-file');
    assert.equal(followed.type, 'regular-file');
    assert.equal(followed.size, BigInt('inside\n'.length));
    assert.equal(code(() => dir.statAt(FOLLOW, 'out-file')), 'not-permitted');
  });

  it('refuses to list or stat outside the preopen', () => {
    assert.equal(code(() => dir.statAt(NOFOLLOW, '../outside/secret')), 'not-permitted');
    assert.equal(code(() => dir.statAt(NOFOLLOW, 'out-dir/secret')), 'not-permitted');
    const f = dir.openAt(NOFOLLOW, 'sub/file', NONE, READ);
    try {
      assert.equal(code(() => f.readDirectory()), 'not-directory');
    } finally {
      drop(f);
    }
  });
});

describe('wasi:filesystem operations', () => {
  it('writes, syncs, reads, renames and unlinks as the component does', () => {
    dir.createDirectoryAt('.openclaw');
    assert.equal(code(() => dir.createDirectoryAt('.openclaw')), 'exist');
    const tmp = dir.openAt(NOFOLLOW, '.openclaw/s.tmp', CREATE, WRITE);
    try {
      assert.equal(tmp.write(new TextEncoder().encode('hello\n'), 0n), 6n);
      assert.equal(tmp.write(new TextEncoder().encode('world\n'), 6n), 6n);
      tmp.sync();
      assert.equal(code(() => tmp.read(10n, 0n)), 'bad-descriptor'); // opened write-only
    } finally {
      drop(tmp);
    }
    assert.equal(code(() => tmp.write(new Uint8Array(1), 0n)), 'bad-descriptor'); // dropped
    dir.renameAt('.openclaw/s.tmp', dir, '.openclaw/s');
    const parent = dir.openAt(NOFOLLOW, '.openclaw', { directory: true }, READ);
    parent.sync();
    assert.equal(parent.stat().type, 'directory');
    drop(parent);
    const f = dir.openAt(FOLLOW, '.openclaw/s', NONE, READ);
    try {
      const st = f.stat();
      assert.equal(st.type, 'regular-file');
      assert.equal(typeof st.size, 'bigint');
      assert.deepEqual(f.read(5n, 0n).map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString() : x)), ['hello', false]);
      // A short read is the end of the file: the guest need not read again to find nothing.
      assert.deepEqual(f.read(100n, 6n).map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString() : x)), ['world\n', true]);
      const [bytes, eof] = f.read(100n, 12n);
      assert.equal(bytes.length, 0);
      assert.equal(eof, true);
    } finally {
      drop(f);
    }
    assert.equal(code(() => dir.openAt(FOLLOW, '.openclaw/missing', NONE, READ)), 'no-entry');
    assert.equal(code(() => dir.openAt(NOFOLLOW, '.openclaw/missing', NONE, READ)), 'no-entry');
    // A name the file system refuses is an error code, never a trap.
    assert.equal(code(() => dir.openAt(NOFOLLOW, `.openclaw/${'n'.repeat(300)}`, NONE, READ)), 'name-too-long');
    assert.equal(code(() => dir.openAt(NOFOLLOW, `.openclaw/${'n'.repeat(300)}`, CREATE, WRITE)), 'name-too-long');
    symlinkSync('nowhere', path.join(ws, '.openclaw/dangling')); // a link is an entry, even to nothing
    assert.equal(code(() => dir.openAt(FOLLOW, '.openclaw/dangling', NONE, READ)), 'loop');
    assert.equal(code(() => dir.openAt(NOFOLLOW, '.openclaw/dangling', NONE, READ)), 'loop');
    assert.equal(code(() => dir.openAt(NOFOLLOW, '.openclaw', NONE, WRITE)), 'is-directory');
    assert.equal(code(() => dir.openAt(NOFOLLOW, 'x', NONE, { read: true, mutateDirectory: true })), 'unsupported');
    dir.unlinkFileAt('.openclaw/s');
    assert.equal(code(() => dir.unlinkFileAt('.openclaw/s')), 'no-entry');
    assert.equal(code(() => dir.readViaStream(0n)), 'unsupported');
    dir.sync(); // a preopen syncs too
    assert.equal(dir.stat().type, 'directory');
  });
});

describe('wasi:filesystem advise', () => {
  // Records what the worker's Channel would be asked; `settleWriteBack` checks
  // the fd is still open (a settle after the close could meet a reused fd).
  function recorder() {
    const log = [];
    return {
      log,
      writeBack: (fd) => log.push(['write-back', fd]),
      settleWriteBack: (fd) => log.push(['settle', fd, fstatSync(fd).isFile()]),
    };
  }

  it('starts write-back on `dont-need` for a file being written, and settles it before the close', () => {
    const rec = recorder();
    const [[ws2]] = filesystemImports({ '/workspace': ws }, { writeBack: rec })['wasi:filesystem/preopens'].getDirectories();
    const tmp = ws2.openAt(NOFOLLOW, 'advised.tmp', CREATE, WRITE);
    tmp.write(new Uint8Array(8192).fill(120), 0n);
    tmp.advise(0n, 4096n, 'dont-need');
    tmp.advise(4096n, 4096n, 'dont-need');
    tmp.advise(0n, 8192n, 'sequential'); // other hints are accepted and do nothing
    assert.equal(rec.log.length, 2);
    const fd = rec.log[0][1];
    assert.deepEqual(rec.log, [['write-back', fd], ['write-back', fd]]);
    tmp.sync();
    drop(tmp);
    assert.deepEqual(rec.log.at(-1), ['settle', fd, true]);
    assert.equal(readFileSync(path.join(ws, 'advised.tmp'), 'utf8'), 'x'.repeat(8192));
    rmSync(path.join(ws, 'advised.tmp'));
  });

  it('asks nothing for a file opened to read, a file never advised, or without a channel', () => {
    const rec = recorder();
    const [[ws2]] = filesystemImports({ '/workspace': ws }, { writeBack: rec })['wasi:filesystem/preopens'].getDirectories();
    const r = ws2.openAt(FOLLOW, 'sub/file', NONE, READ);
    r.advise(0n, 7n, 'dont-need');
    drop(r);
    const w = ws2.openAt(NOFOLLOW, 'plain.tmp', CREATE, WRITE);
    w.write(new Uint8Array(1), 0n);
    drop(w);
    assert.deepEqual(rec.log, []);
    const bare = dir.openAt(NOFOLLOW, 'plain.tmp', CREATE, WRITE); // the suite's preopen: no channel
    bare.advise(0n, 1n, 'dont-need');
    drop(bare);
    rmSync(path.join(ws, 'plain.tmp'));
  });

  it('makes the calls that wait for the disk here or through the channel, with the same effect and error codes', () => {
    const calls = [];
    const channel = {
      writeBack() {},
      settleWriteBack() {},
      blockingFs(call, ...args) {
        calls.push([call, ...args.map((a) => (typeof a === 'number' ? 'fd' : path.basename(a)))]);
        fs[`${call}Sync`](...args);
      },
    };
    const [[ws2]] = filesystemImports({ '/workspace': ws }, { writeBack: channel })['wasi:filesystem/preopens'].getDirectories();
    for (let i = 0; i < 8; i += 1) {
      const f = ws2.openAt(NOFOLLOW, 'offload.tmp', CREATE, WRITE);
      f.write(new Uint8Array(3).fill(97 + i), 0n);
      f.sync();
      f.syncData();
      drop(f);
      ws2.renameAt('offload.tmp', ws2, 'offloaded');
      ws2.sync(); // the directory
      assert.equal(readFileSync(path.join(ws, 'offloaded'), 'utf8'), String.fromCharCode(97 + i).repeat(3));
    }
    const expected = [['fsync', 'fd'], ['fdatasync', 'fd'], ['rename', 'offload.tmp', 'offloaded']];
    assert.ok(calls.length > 0, 'some went through the channel');
    for (const c of calls) assert.ok(expected.some((e) => JSON.stringify(e) === JSON.stringify(c)), JSON.stringify(c));
    channel.blockingFs = () => { throw { code: 'EIO' }; };
    const codes = new Set();
    for (let i = 0; i < 20; i += 1) {
      try { ws2.sync(); } catch (e) { codes.add(e); }
    }
    assert.deepEqual([...codes], ['io'], 'a failure through the channel is the wasi error-code');
    rmSync(path.join(ws, 'offloaded'));
  });

  it("answers those calls on the client's thread from libuv's pool, with Node's error code", async () => {
    const run = (call, ...args) => new Promise((resolve) => { runBlockingFs({ id: 7, call, args }, resolve); });
    const file = path.join(ws, 'pool.tmp');
    writeFileSync(file, 'z');
    const fd = fs.openSync(file, 'r+');
    try {
      assert.deepEqual(await run('fsync', fd), { id: 7, type: MESSAGE.FS_DONE, code: undefined });
      assert.deepEqual(await run('fdatasync', fd), { id: 7, type: MESSAGE.FS_DONE, code: undefined });
    } finally {
      fs.closeSync(fd);
    }
    assert.deepEqual(await run('rename', file, path.join(ws, 'pool.done')), { id: 7, type: MESSAGE.FS_DONE, code: undefined });
    assert.equal((await run('rename', file, path.join(ws, 'again'))).code, 'ENOENT');
    assert.equal((await run('unlink', path.join(ws, 'pool.done'))).code, 'ENOSYS'); // only the three waiting calls
    rmSync(path.join(ws, 'pool.done'));
  });

  it('refuses advice on a preopen or a dropped descriptor', () => {
    assert.equal(code(() => dir.advise(0n, 0n, 'dont-need')), 'bad-descriptor');
    const f = dir.openAt(FOLLOW, 'sub/file', NONE, READ);
    drop(f);
    assert.equal(code(() => f.advise(0n, 0n, 'dont-need')), 'bad-descriptor');
  });
});

describe('where the disk-waiting calls are made', () => {
  it('tries both places, then keeps to the faster, trying the other again now and then', () => {
    const d = new DiskPath();
    const seen = [];
    const call = (times) => { const where = d.pick(); seen.push(where); d.record(where, times[where]); };
    call({ direct: 4, pool: 0.5 });
    call({ direct: 4, pool: 0.5 });
    assert.deepEqual(seen, ['direct', 'pool']);
    for (let i = 0; i < 30; i += 1) call({ direct: 4, pool: 0.5 });
    const later = seen.slice(2);
    assert.ok(later.filter((w) => w === 'pool').length > later.length / 2, 'the faster place is used most');
    assert.ok(later.includes('direct'), 'the slower is still tried');
    // Conditions change: the pool becomes the slow one, and the choice follows.
    for (let i = 0; i < 60; i += 1) call({ direct: 0.3, pool: 5 });
    assert.deepEqual(seen.slice(-6).filter((w) => w === 'direct').length >= 5, true);
  });
});
