// A rename that replaces a file holds the replaced file open until the
// component's call ends, so the kernel frees it at that later close rather
// than inside the rename (src/worker/wasi/filesystem.js, renameAt). What a
// user must be able to rely on: the rename still replaces the file, and no
// descriptor outlives the call, whichever thread runs the component.
// Linux only (descriptors are counted in /proc/self/fd).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SnapshotClient } from '@lobu/transcript-snapshot';
import { filesystemView } from '../src/worker/wasi/filesystem.js';

const linux = existsSync('/proc/self/fd');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** This process's descriptors open on `file` after it was unlinked or replaced. */
function heldAfterReplace(file) {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === `${file} (deleted)`) n += 1;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

/** Waits (up to 2 s) for the closes endCall starts on libuv's pool. */
async function untilReleased(file) {
  for (let i = 0; i < 200 && heldAfterReplace(file) > 0; i += 1) await sleep(10);
  return heldAfterReplace(file);
}

let root;
before(() => { root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ts-replaced-'))); });
after(() => rmSync(root, { recursive: true, force: true }));

describe('a renamed-over file', { skip: !linux && 'needs /proc/self/fd' }, () => {
  it('is replaced at once, held until the call ends, then closed', async () => {
    const ws = path.join(root, 'unit');
    mkdirSync(ws);
    const target = path.join(ws, 'session.jsonl');
    writeFileSync(target, 'old\n');
    writeFileSync(path.join(ws, 'staged'), 'new\n');
    const view = filesystemView({ '/workspace': ws });
    const [[dir]] = view.imports['wasi:filesystem/preopens'].getDirectories();
    dir.renameAt('staged', dir, 'session.jsonl');
    assert.equal(readFileSync(target, 'utf8'), 'new\n');
    assert.equal(heldAfterReplace(target), 1, 'the replaced file is held while the call runs');
    view.endCall();
    assert.equal(await untilReleased(target), 0, 'and closed once it ends');
  });

  it('holds nothing when nothing, or no regular file, is replaced', () => {
    const ws = path.join(root, 'fresh');
    mkdirSync(ws);
    writeFileSync(path.join(ws, 'staged'), 'new\n');
    writeFileSync(path.join(ws, 'staged2'), 'new\n');
    execFileSync('mkfifo', [path.join(ws, 'fifo')]); // opening one could block, or be seen by a reader
    const view = filesystemView({ '/workspace': ws });
    const [[dir]] = view.imports['wasi:filesystem/preopens'].getDirectories();
    const before = readdirSync('/proc/self/fd').length;
    dir.renameAt('staged', dir, 'session.jsonl');
    dir.renameAt('staged2', dir, 'fifo');
    assert.equal(readFileSync(path.join(ws, 'fifo'), 'utf8'), 'new\n');
    assert.equal(readdirSync('/proc/self/fd').length, before);
    view.endCall();
  });

  it('leaves no descriptor open after hydrates through a client', async () => {
    const body = Buffer.from('{"n":1}\n'.repeat(1000));
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': body.length }).end(body);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const ws = path.join(root, 'client');
    mkdirSync(path.join(ws, '.openclaw'), { recursive: true });
    const session = path.join(ws, '.openclaw/session.jsonl');
    writeFileSync(session, 'old\n');
    const client = await SnapshotClient.open({
      preopens: { '/workspace': ws }, allowedAuthorities: [`127.0.0.1:${server.address().port}`],
    });
    try {
      for (let i = 0; i < 3; i += 1) {
        const out = await client.hydrate({ url: `http://127.0.0.1:${server.address().port}`, token: 't' }, '/workspace/.openclaw/session.jsonl');
        assert.equal(out.kind, 'hydrated');
      }
      assert.deepEqual(readFileSync(session), body);
      assert.equal(await untilReleased(session), 0);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
