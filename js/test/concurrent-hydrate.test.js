// Concurrent hydrates of one session file never mix their bodies: each call
// stages into its own file and renames it over the session file whole. Eight
// clients (a client runs one call at a time) race with distinct, slowly sent
// bodies while a watcher reads the session file over and over; every read must
// be one complete body (or the original), the file must end as the body of a
// call that reported `hydrated`, and no staging file may remain.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SnapshotClient } from '@lobu/transcript-snapshot';

const CALLS = 8;
const SIZE = 2 * 1024 * 1024;
const CHUNK = 64 * 1024;
const SESSION = '/workspace/.openclaw/session.jsonl';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Body i: its own line repeated, i bytes longer than body 0, so a call's
// reported size names the body it received.
function body(i) {
  const line = Buffer.from(`{"call":${i},"text":"${'x'.repeat(40 + i)}"}\n`);
  const out = Buffer.alloc(SIZE + i);
  for (let at = 0; at < out.length; at += line.length) line.copy(out, at);
  return out;
}

// Request n gets body n % CALLS, in small chunks with a pause between them,
// so the calls' downloads overlap.
async function slowGateway(bodies) {
  let served = 0;
  const server = createServer(async (req, res) => {
    req.resume();
    const b = bodies[served++ % CALLS];
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': b.length, connection: 'close' });
    for (let at = 0; at < b.length; at += CHUNK) {
      if (!res.write(b.subarray(at, at + CHUNK))) await new Promise((r) => res.once('drain', r));
      await sleep(5);
    }
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

let root;
before(async () => { root = await mkdtemp(path.join(tmpdir(), 'ts-jco-concurrent-')); });
after(() => rm(root, { recursive: true, force: true }));

describe('concurrent hydrates', () => {
  it('eight hydrates of one file never mix bodies, and leave no staging file', { timeout: 120_000 }, async () => {
    const bodies = Array.from({ length: CALLS }, (_, i) => body(i));
    const gw = await slowGateway(bodies);
    await mkdir(path.join(root, '.openclaw'));
    const file = path.join(root, '.openclaw/session.jsonl');
    const original = Buffer.from('{"type":"session","id":"original"}\n'.repeat(1000));
    await writeFile(file, original);
    const clients = await Promise.all(bodies.map(() => SnapshotClient.open({ preopens: { '/workspace': root } })));

    // The watcher: every read of the session file is one whole version.
    let racing = true;
    let reads = 0;
    const watcher = (async () => {
      while (racing) {
        const seen = await readFile(file);
        reads += 1;
        assert.ok(seen.equals(original) || bodies.some((b) => b.equals(seen)),
          `read ${reads}: the session file holds ${seen.length} bytes that are no single body`);
      }
    })();
    try {
      const outcomes = await Promise.all(clients.map((c) => c.hydrate({ url: gw.url, token: 'concurrent-token' }, SESSION)))
        .finally(() => { racing = false; });
      await watcher;
      assert.ok(reads > 0);
      for (const o of outcomes) assert.equal(o.kind, 'hydrated');
      // Every body was served once, so each call reports a distinct size.
      assert.deepEqual(outcomes.map((o) => o.bytes).sort((a, b) => a - b), bodies.map((b) => b.length));
      const last = await readFile(file);
      assert.ok(bodies.some((b) => b.equals(last)), 'the file ends as no call\'s body');
      assert.ok(outcomes.some((o) => o.bytes === last.length), 'the file ends as the body of no call that reported hydrated');
      assert.deepEqual(await readdir(path.join(root, '.openclaw')), ['session.jsonl'], 'a staging file remains');
    } finally {
      racing = false;
      await watcher.catch(() => {});
      await Promise.all(clients.map((c) => c.close()));
      await gw.close();
    }
  });
});
