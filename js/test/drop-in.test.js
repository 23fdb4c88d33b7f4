// The reference client's ten test behaviours (transcript-snapshot.test.ts in
// @lobu/worker 7.2.0), run against the drop-in functions and the REAL
// reference gateway (snapshot-gateway on SQLite) behind a recording
// pass-through, instead of a stubbed fetch. Where a behaviour needs a gateway
// that fails (500) or is not there at all, a local stand-in is used.
// Runs under `node --test` and `bun test` alike (node:test API only).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  after, before, beforeEach, describe, it,
} from 'node:test';
import { clearSnapshots, hydrateFromSnapshot, writeSnapshot } from '@lobu/transcript-snapshot';
import { startGateway } from './support/gateway.js';
import { startRecordingProxy } from './support/recording-proxy.js';
import { Processes, mintToken } from './support/reference-gateway.js';

const SECRET = `drop-in-${randomBytes(16).toString('hex')}`;
const ENDPOINT = '/lobu/worker/transcript/snapshot';
const LINES = (id) => `{"type":"session","version":3,"id":"${id}","timestamp":"2026-05-18T10:00:00Z","cwd":"/w"}\n`
  + `{"type":"message","id":"m1","parentId":null,"timestamp":"2026-05-18T10:00:01Z","message":{"role":"user","content":[{"type":"text","text":"résumé ✓"}]}}\n`;

const procs = new Processes();
let gatewayUrl; // the proxy's URL, with the gateway's /lobu prefix
let proxy;
let root;
let tmp; // this test's directory
let tokens; // this test's conversation: { worker, run42, run43 }
const records = []; // every log record of the whole file, for the token scan at the end
const tokensSeen = [];

/** A pino-shaped logger that keeps each record (fields, message, level). */
function recorder() {
  const logged = [];
  const keep = (level) => (fields, message) => {
    const r = { level, fields, message };
    logged.push(r);
    records.push(r);
  };
  return { logged, info: keep('info'), warn: keep('warn'), error: keep('error'), debug: keep('debug') };
}

const exists = (p) => stat(p).then(() => true, () => false);
const sent = () => proxy.requests.filter((r) => r.path === ENDPOINT);

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ts-drop-in-'));
  const gw = await procs.gateway({ database: path.join(root, 'gateway.sqlite3'), secret: SECRET });
  proxy = await startRecordingProxy(new URL(gw.url).origin);
  gatewayUrl = `${proxy.origin}/lobu`;
});

after(async () => {
  await proxy?.close();
  await procs.stopAll();
  await rm(root, { recursive: true, force: true });
});

let n = 0;
beforeEach(async () => {
  n += 1;
  tmp = path.join(root, `t${n}`);
  await mkdir(tmp);
  proxy.requests.length = 0;
  // Each test its own conversation, so no test sees another's snapshots.
  const scope = { org: 'org-drop-in', agent: 'agent-1', conversation: `conversation-${n}` };
  tokens = {
    worker: await mintToken(SECRET, scope),
    run42: await mintToken(SECRET, scope, 42),
    run43: await mintToken(SECRET, scope, 43),
  };
  tokensSeen.push(...Object.values(tokens));
});

describe('hydrateFromSnapshot', () => {
  it('boot-hydrate-fsync: writes bytes verbatim, file size matches body length', async () => {
    const expected = LINES('hydrate');
    // Stored through the gateway by a completed run, as a previous pod would.
    const source = path.join(tmp, 'pod-a', 'session.jsonl');
    await mkdir(path.dirname(source));
    await writeFile(source, expected);
    await writeSnapshot({ sessionFile: source, gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42 });
    proxy.requests.length = 0;

    const sessionFile = path.join(tmp, '.openclaw', 'session.jsonl'); // directory not there yet
    const log = recorder();
    const hydrated = await hydrateFromSnapshot({ sessionFile, gatewayUrl, workerToken: tokens.worker, logger: log });
    assert.equal(hydrated, true);
    assert.equal((await stat(sessionFile)).size, Buffer.byteLength(expected, 'utf-8'));
    assert.equal(await readFile(sessionFile, 'utf-8'), expected);
    const [get] = sent();
    assert.equal(sent().length, 1);
    assert.equal(get.method, 'GET');
    assert.equal(get.headers.authorization, `Bearer ${tokens.worker}`);
    assert.deepEqual(log.logged.map((r) => [r.level, r.message, r.fields.bytes, r.fields.status]),
      [['info', 'transcript-snapshot hydrate: hydrated', Buffer.byteLength(expected), 200]]);
  });

  it('returns false on 404 and does not touch the file', async () => {
    const sessionFile = path.join(tmp, '.openclaw', 'session.jsonl');
    const hydrated = await hydrateFromSnapshot({ sessionFile, gatewayUrl, workerToken: tokens.worker });
    assert.equal(hydrated, false);
    assert.equal(await exists(sessionFile), false);
    // Nor its directory: the reference creates it only once it has a snapshot.
    assert.equal(await exists(path.dirname(sessionFile)), false);
    assert.deepEqual(sent().map((r) => [r.method, r.status]), [['GET', 404]]);
  });

  it('throws on non-2xx, non-404 — caller logs + continues with local file', async () => {
    const failing = await startGateway(() => ({ status: 500, body: 'boom' }));
    try {
      const sessionFile = path.join(tmp, '.openclaw', 'session.jsonl');
      await mkdir(path.dirname(sessionFile));
      await writeFile(sessionFile, 'local\n');
      const log = recorder();
      await assert.rejects(
        hydrateFromSnapshot({ sessionFile, gatewayUrl: `${failing.url}/lobu`, workerToken: tokens.worker, logger: log }),
        // The reference's words, then the Rust host's for a retried failure.
        { name: 'SnapshotError', message: 'transcript hydrate failed: 500 Internal Server Error after 3 attempts' },
      );
      assert.equal(await readFile(sessionFile, 'utf-8'), 'local\n'); // the local file the caller continues with
      assert.equal(failing.requests.length, 3); // 500 is transient: retried, within the deadline
      assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.status, r.fields.attempts]),
        [['warn', 'failed', 500, 3]]);
    } finally {
      await failing.close();
    }
  });
});

describe('writeSnapshot', () => {
  const sessionFile = () => path.join(tmp, '.openclaw', 'session.jsonl');
  const withFile = async (content) => {
    await mkdir(path.dirname(sessionFile()), { recursive: true });
    await writeFile(sessionFile(), content, 'utf-8');
  };

  it('happy path: reads file, POSTs body + terminalStatus, gateway 200', async () => {
    const body = LINES('write');
    await withFile(body);
    const log = recorder();
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: log });
    const [post] = sent();
    assert.equal(sent().length, 1);
    assert.equal(post.method, 'POST');
    assert.equal(post.status, 200);
    assert.equal(post.headers.authorization, `Bearer ${tokens.run42}`);
    const parsed = JSON.parse(post.body);
    assert.equal(parsed.snapshotJsonl, body);
    assert.equal(parsed.terminalStatus, 'completed');
    assert.equal(parsed.runId, 42); // the run this worker claimed, not "the latest run"
    assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.bytes, r.fields.status]),
      [['info', 'stored', Buffer.byteLength(body), 200]]);
    // The gateway kept exactly those bytes: the next pod hydrates them.
    const next = path.join(tmp, 'next', 'session.jsonl');
    assert.equal(await hydrateFromSnapshot({ sessionFile: next, gatewayUrl, workerToken: tokens.worker }), true);
    assert.equal(await readFile(next, 'utf-8'), body);
  });

  it('non-completed terminalStatus is skipped (no POST, no waste)', async () => {
    await withFile('{"type":"session"}\n');
    for (const terminalStatus of ['failed', 'timeout', 'cancelled']) {
      await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus, runId: 42 });
    }
    assert.equal(sent().length, 0);
  });

  it('race-win-409 is benign — no throw', async () => {
    await withFile('{"type":"session"}\n');
    const log = recorder();
    const write = () => writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: log });
    await write(); // another pod got there first ...
    await write(); // ... so this one is the gateway's 409
    assert.deepEqual(sent().map((r) => r.status), [200, 409]);
    assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.status]),
      [['info', 'stored', 200], ['info', 'duplicate', 409]]);
  });

  it('no session file (early-exit worker): silently skips, no fetch', async () => {
    const log = recorder();
    for (const terminalStatus of ['failed', 'completed']) {
      await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus, runId: 42, logger: log });
    }
    assert.equal(sent().length, 0);
    assert.deepEqual(log.logged.map((r) => r.message), [
      'transcript-snapshot write: skipped (not-completed)',
      'transcript-snapshot write: skipped (session-file-missing)',
    ]);
    assert.equal(await exists(path.dirname(sessionFile())), false); // write creates nothing
  });

  it('empty session file is skipped — never POST an empty snapshot', async () => {
    await withFile('');
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42 });
    assert.equal(sent().length, 0);
  });

  it('server 500 is logged, not thrown', async () => {
    const failing = await startGateway(() => ({ status: 500, body: 'boom' }));
    try {
      await withFile('{"type":"session"}\n');
      const log = recorder();
      await writeSnapshot({
        sessionFile: sessionFile(), gatewayUrl: failing.url, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: log,
      });
      assert.equal(failing.requests.length, 3);
      assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.status, r.fields.error]),
        [['warn', 'failed', 500, 'gateway answered HTTP 500']]);
    } finally {
      await failing.close();
    }
  });

  it('fetch throw is caught — cleanup() must never re-throw', async () => {
    await withFile('{"type":"session"}\n');
    const closed = await startGateway();
    await closed.close(); // a port nobody listens on any more: connection refused
    const log = recorder();
    await writeSnapshot({
      sessionFile: sessionFile(), gatewayUrl: closed.url, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: log, options: { maxAttempts: 1 },
    });
    assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.attempts]), [['warn', 'failed', 1]]);
    assert.match(log.logged[0].fields.error, /connection-refused/);
  });

  it('misuse (no run id, a bad URL) is logged, never thrown', async () => {
    await withFile('{"type":"session"}\n');
    const log = recorder();
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', logger: log });
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl: 'ftp://x', workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: log });
    await writeSnapshot(undefined);
    assert.equal(sent().length, 0);
    assert.deepEqual(log.logged.map((r) => r.fields.outcome), ['skipped', 'failed']);
  });

  it('a logger that cannot log, or throws, does not stop the write', async () => {
    await withFile('{"type":"session"}\n');
    const throwing = { info() { throw new Error('logger down'); }, warn() { throw new Error('logger down'); } };
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: {} });
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run43, terminalStatus: 'completed', runId: 43, logger: throwing });
    assert.deepEqual(sent().map((r) => `${r.method} ${r.status}`), ['POST 200', 'POST 200']);
  });

  it('sees only the session file\'s directory: a symlink out of it is refused', async () => {
    const outside = path.join(tmp, 'outside.jsonl');
    await writeFile(outside, 'secret\n');
    await mkdir(path.dirname(sessionFile()));
    await symlink(outside, sessionFile());
    const log = recorder();
    await writeSnapshot({ sessionFile: sessionFile(), gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42, logger: log });
    assert.equal(sent().length, 0);
    assert.deepEqual(log.logged.map((r) => r.fields.outcome), ['failed']);
    assert.match(log.logged[0].fields.error, /not-permitted/);
  });
});

describe('clearSnapshots', () => {
  it('deletes the conversation\'s snapshots, after which hydrate finds none', async () => {
    const file = path.join(tmp, 'session.jsonl');
    await writeFile(file, LINES('clear'));
    await writeSnapshot({ sessionFile: file, gatewayUrl, workerToken: tokens.run42, terminalStatus: 'completed', runId: 42 });
    await writeSnapshot({ sessionFile: file, gatewayUrl, workerToken: tokens.run43, terminalStatus: 'completed', runId: 43 });
    const log = recorder();
    await clearSnapshots({ gatewayUrl, workerToken: tokens.worker, logger: log });
    assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.status]), [['info', 'cleared', 200]]);
    assert.equal(await hydrateFromSnapshot({ sessionFile: path.join(tmp, 'b', 's.jsonl'), gatewayUrl, workerToken: tokens.worker }), false);
    assert.deepEqual(sent().map((r) => `${r.method} ${r.status}`), ['POST 200', 'POST 200', 'DELETE 200', 'GET 404']);
  });

  it('a failing gateway is logged, never thrown', async () => {
    const failing = await startGateway(() => ({ status: 401, body: 'nope' }));
    try {
      const log = recorder();
      await clearSnapshots({ gatewayUrl: failing.url, workerToken: tokens.worker, logger: log });
      assert.deepEqual(log.logged.map((r) => [r.level, r.fields.outcome, r.fields.status]), [['warn', 'failed', 401]]);
    } finally {
      await failing.close();
    }
  });
});

describe('log records', () => {
  it('hold exactly the documented fields, and never a token', () => {
    assert.ok(records.length >= 12, `only ${records.length} records`);
    const allowed = new Set(['operation', 'outcome', 'bytes', 'attempts', 'status', 'duration_ms', 'error']);
    for (const { fields, message } of records) {
      for (const key of Object.keys(fields)) assert.ok(allowed.has(key), `unexpected field ${key}`);
      assert.equal(typeof fields.duration_ms, 'number');
      const line = `${message} ${JSON.stringify(fields)}`;
      for (const token of tokensSeen) assert.ok(!line.includes(token), `a token in: ${line}`);
    }
  });
});
