// Snapshot versions (WIT 0.2.0) as this package shows them: the result
// objects of up-to-date, diverged and digest-mismatch, their log records, the
// `useValidators` option, and what the drop-ins make of them. What goes on
// the wire and on disk is the shared conformance cases' business
// (host-tests/cases/versions.json); here a small gateway that names its
// snapshot "v1" is enough.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  mkdir, mkdtemp, readFile, rm, stat, writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  SnapshotClient, SnapshotError, hydrateFromSnapshot, writeSnapshot,
} from '@lobu/transcript-snapshot';
import { startGateway } from './support/gateway.js';

const TOKEN = 'deploy-token-versions-51c2e0';
const RUN = { runId: 7, token: 'run-token-versions-9d03aa' };
const BODY = '{"type":"session","id":"v1"}\n';
const ETAG = '"v1"';
const SESSION = '/workspace/.openclaw/session.jsonl';
const UP_TO_DATE = 'session file already holds the latest snapshot (HTTP 304)';
const DIGEST = 'snapshot body does not match the digest the gateway sent; session file kept';

/** A gateway whose latest snapshot is "v1", stored by run `latestRunId` (named unless null). */
function versionedGateway({ latestRunId = 43 } = {}) {
  return startGateway((req) => {
    if (req.method === 'GET') {
      if (req.headers['if-none-match'] === ETAG) return { status: 304, headers: { etag: ETAG } };
      return { body: BODY, headers: { etag: ETAG } };
    }
    // Any if-match names a version older than the latest, which another pod stored.
    if (req.headers['if-match'] === undefined) return { body: '{"id":2}', headers: { etag: '"v2"' } };
    return { status: 412, headers: latestRunId === null ? {} : { 'x-snapshot-run-id': String(latestRunId) } };
  });
}

function recorder() {
  const logged = [];
  const keep = (level) => (fields, message) => logged.push({ level, fields, message });
  return { logged, info: keep('info'), warn: keep('warn') };
}

/** Level, message and the fields that matter of each record (duration aside). */
const summary = (log) => log.logged.map(({ level, message, fields: { duration_ms: ms, ...rest } }) => {
  assert.equal(typeof ms, 'number');
  return { level, message, ...rest };
});

const exists = (p) => stat(p).then(() => true, () => false);

let root;
let workspace;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ts-jco-versions-'));
});
after(() => rm(root, { recursive: true, force: true }));

let n = 0;
beforeEach(async () => {
  n += 1;
  workspace = path.join(root, `t${n}`);
  await mkdir(path.join(workspace, '.openclaw'), { recursive: true });
});

const hostFile = () => path.join(workspace, '.openclaw/session.jsonl');
const sidecar = () => path.join(workspace, '.openclaw/.session.jsonl.snapshot-version');

async function withClient(gw, fn) {
  const log = recorder();
  const client = await SnapshotClient.open({ preopens: { '/workspace': workspace }, logger: log });
  try {
    await fn(client);
  } finally {
    await client.close();
    await gw.close();
  }
  return summary(log);
}

describe('SnapshotClient and snapshot versions', () => {
  it('reports up-to-date and diverged as plain objects, logged with their status', async () => {
    const gw = await versionedGateway();
    const records = await withClient(gw, async (client) => {
      const gateway = { url: gw.url, token: TOKEN };
      assert.deepEqual(await client.hydrate(gateway, SESSION), { kind: 'hydrated', bytes: BODY.length, attempts: 1 });
      assert.deepEqual(await client.hydrate(gateway, SESSION), { kind: 'up-to-date', attempts: 1 });
      assert.deepEqual(await client.write(gw.url, RUN, SESSION, 'completed'), { kind: 'diverged', latestRunId: 43, attempts: 1 });
    });
    assert.equal(await readFile(hostFile(), 'utf8'), BODY); // untouched by the 304 and the 412
    assert.deepEqual(gw.requests.map((r) => [r.method, r.headers['if-none-match'], r.headers['if-match']]),
      [['GET', undefined, undefined], ['GET', ETAG, undefined], ['POST', undefined, ETAG]]);
    assert.deepEqual(records, [
      { level: 'info', message: 'transcript-snapshot hydrate: hydrated', operation: 'hydrate', outcome: 'hydrated', bytes: BODY.length, attempts: 1, status: 200 },
      { level: 'info', message: `transcript-snapshot hydrate: up-to-date (${UP_TO_DATE})`, operation: 'hydrate', outcome: 'up-to-date', attempts: 1, status: 304 },
      {
        level: 'warn',
        message: 'transcript-snapshot write: diverged (not stored: run 43 stored a newer snapshot since this file\'s version (HTTP 412))',
        operation: 'write',
        outcome: 'diverged',
        attempts: 1,
        status: 412,
      },
    ]);
  });

  it('gives latestRunId null when the gateway does not name the run', async () => {
    const gw = await versionedGateway({ latestRunId: null });
    const records = await withClient(gw, async (client) => {
      await client.hydrate({ url: gw.url, token: TOKEN }, SESSION);
      assert.deepEqual(await client.write(gw.url, RUN, SESSION, 'completed'), { kind: 'diverged', latestRunId: null, attempts: 1 });
    });
    assert.equal(records[1].message,
      'transcript-snapshot write: diverged (not stored: another snapshot is the latest since this file\'s version (HTTP 412))');
  });

  it('useValidators: false sends no version and forgets the one recorded', async () => {
    const gw = await versionedGateway();
    await withClient(gw, async (client) => {
      const gateway = { url: gw.url, token: TOKEN };
      await client.hydrate(gateway, SESSION);
      assert.equal(await exists(sidecar()), true);
      const off = { useValidators: false };
      assert.equal((await client.hydrate(gateway, SESSION, off)).kind, 'hydrated'); // downloaded again
      assert.equal(await exists(sidecar()), false);
      assert.equal((await client.write(gw.url, RUN, SESSION, 'completed', off)).kind, 'stored');
      assert.equal(await exists(sidecar()), false);
      for (const bad of ['false', 0, 1]) {
        await assert.rejects(client.hydrate(gateway, SESSION, { useValidators: bad }), {
          name: 'TypeError', message: 'options.useValidators must be a boolean',
        });
      }
    });
    assert.deepEqual(gw.requests.slice(1).map((r) => [r.headers['if-none-match'], r.headers['if-match']]),
      [[undefined, undefined], [undefined, undefined]]);
  });

  it('rejects a body that does not match its digest as digest-mismatch, the old file kept', async () => {
    const wrong = createHash('sha256').update('another body').digest('base64');
    const gw = await startGateway(() => ({ body: BODY, headers: { 'repr-digest': `sha-256=:${wrong}:` } }));
    await writeFile(hostFile(), 'local\n');
    const records = await withClient(gw, async (client) => {
      const e = await client.hydrate({ url: gw.url, token: TOKEN }, SESSION).catch((x) => x);
      assert.ok(e instanceof SnapshotError);
      assert.deepEqual(e.error, { kind: 'digest-mismatch' });
      assert.equal(e.message, `hydrate: ${DIGEST}`);
    });
    assert.equal(await readFile(hostFile(), 'utf8'), 'local\n');
    assert.deepEqual(records, [{
      level: 'warn', message: 'transcript-snapshot hydrate: failed', operation: 'hydrate', outcome: 'failed', attempts: 1, error: DIGEST,
    }]);
  });
});

describe('drop-ins and snapshot versions', () => {
  it('hydrateFromSnapshot resolves true when the file is already up to date', async () => {
    const gw = await versionedGateway();
    const log = recorder();
    try {
      const opts = { sessionFile: hostFile(), gatewayUrl: gw.url, workerToken: TOKEN, logger: log };
      assert.equal(await hydrateFromSnapshot(opts), true);
      assert.equal(await hydrateFromSnapshot(opts), true);
    } finally {
      await gw.close();
    }
    assert.equal(await readFile(hostFile(), 'utf8'), BODY);
    assert.deepEqual(summary(log).map((r) => [r.level, r.outcome, r.status]), [['info', 'hydrated', 200], ['info', 'up-to-date', 304]]);
  });

  it('writeSnapshot resolves on diverged and logs it at warn', async () => {
    const gw = await versionedGateway();
    const log = recorder();
    try {
      await hydrateFromSnapshot({ sessionFile: hostFile(), gatewayUrl: gw.url, workerToken: TOKEN });
      const done = await writeSnapshot({
        sessionFile: hostFile(), gatewayUrl: gw.url, workerToken: RUN.token, terminalStatus: 'completed', runId: RUN.runId, logger: log,
      });
      assert.equal(done, undefined);
    } finally {
      await gw.close();
    }
    assert.deepEqual(summary(log).map((r) => [r.level, r.outcome, r.status, r.attempts]), [['warn', 'diverged', 412, 1]]);
    assert.match(log.logged[0].message, /run 43 stored a newer snapshot/);
  });

  it('hydrateFromSnapshot rejects a digest mismatch with the reference\'s message prefix', async () => {
    const wrong = createHash('sha256').update('another body').digest('base64');
    const gw = await startGateway(() => ({ body: BODY, headers: { 'content-digest': `sha-256=:${wrong}:` } }));
    try {
      await assert.rejects(hydrateFromSnapshot({ sessionFile: hostFile(), gatewayUrl: gw.url, workerToken: TOKEN }),
        { name: 'SnapshotError', message: `transcript hydrate failed: ${DIGEST}` });
    } finally {
      await gw.close();
    }
    assert.equal(await exists(hostFile()), false);
  });
});
