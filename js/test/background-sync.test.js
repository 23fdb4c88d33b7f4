// BackgroundSync (src/main/background-sync.js): at most one sync per file in
// flight, hints that arrive meanwhile folded into one more, and a settle that
// answers only once nothing is in flight. A stand-in fdatasync lets the test
// finish each sync when it chooses; the last case uses node:fs's own.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BackgroundSync } from '../src/main/background-sync.js';

function fakeSync() {
  const pending = []; // [fd, callback] of syncs started and not finished
  const started = [];
  const fdatasync = (fd, callback) => {
    started.push(fd);
    pending.push([fd, callback]);
  };
  const finish = (fd) => {
    const i = pending.findIndex(([f]) => f === fd);
    assert.ok(i >= 0, `no sync of fd ${fd} in flight`);
    const [[, callback]] = pending.splice(i, 1);
    callback(null);
  };
  return { fdatasync, finish, started, pending };
}

describe('BackgroundSync', () => {
  it('keeps one sync per file in flight and folds the hints that arrive meanwhile into one more', () => {
    const f = fakeSync();
    const sync = new BackgroundSync(f.fdatasync);
    sync.request(7);
    sync.request(7);
    sync.request(7);
    assert.deepEqual(f.started, [7]);
    f.finish(7);
    assert.deepEqual(f.started, [7, 7]); // the three hints' bytes, in one more sync
    f.finish(7);
    assert.deepEqual(f.started, [7, 7]);
    assert.equal(f.pending.length, 0);
  });

  it('syncs different files independently', () => {
    const f = fakeSync();
    const sync = new BackgroundSync(f.fdatasync);
    sync.request(7);
    sync.request(8);
    assert.deepEqual(f.started, [7, 8]);
    f.finish(8);
    f.finish(7);
    assert.equal(f.pending.length, 0);
  });

  it('settles at once when nothing is in flight', () => {
    const sync = new BackgroundSync(fakeSync().fdatasync);
    let settled = false;
    sync.settle(7, () => { settled = true; });
    assert.equal(settled, true);
  });

  it('settles only when the sync in flight ends, and starts none after it', () => {
    const f = fakeSync();
    const sync = new BackgroundSync(f.fdatasync);
    sync.request(7);
    sync.request(7); // would start another, but the file is about to be closed
    const settled = [];
    sync.settle(7, () => settled.push('a'));
    sync.settle(7, () => settled.push('b'));
    assert.deepEqual(settled, []);
    f.finish(7);
    assert.deepEqual(settled, ['a', 'b']);
    assert.deepEqual(f.started, [7]);
    sync.request(7); // a new file may get the same number later
    assert.deepEqual(f.started, [7, 7]);
  });

  it("runs node:fs's fdatasync and settles after it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-bgsync-'));
    const fd = openSync(path.join(dir, 'f'), 'w');
    try {
      writeSync(fd, 'x'.repeat(1 << 20));
      const sync = new BackgroundSync();
      sync.request(fd);
      await new Promise((resolve) => sync.settle(fd, resolve));
      let again = false;
      sync.settle(fd, () => { again = true; });
      assert.equal(again, true); // nothing left in flight
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
