// SnapshotClient's `logger`: one record per hydrate, write and clear, pino
// shaped (`logger.info(fields, message)`), console accepted too; and no
// logged line, on any path, holds a token.
import assert from 'node:assert/strict';
import { Console } from 'node:console';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SnapshotClient } from '@lobu/transcript-snapshot';
import { startGateway } from './support/gateway.js';

const TOKEN = 'deploy-token-log-3f9a1c';
const RUN = { runId: 7, token: 'run-token-log-b27e44' };
const SESSION = '/workspace/.openclaw/session.jsonl';
const FIELDS = new Set(['operation', 'outcome', 'bytes', 'attempts', 'status', 'duration_ms', 'error']);

let root;
let workspace;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ts-jco-log-'));
  workspace = path.join(root, 'ws');
  await mkdir(path.join(workspace, '.openclaw'), { recursive: true });
});
after(() => rm(root, { recursive: true, force: true }));

function recorder() {
  const logged = [];
  const keep = (level) => (fields, message) => logged.push({ level, fields, message });
  return { logged, info: keep('info'), warn: keep('warn'), error: keep('error'), debug: keep('debug') };
}

const summary = (logged) => logged.map(({ level, fields, message }) => {
  const { duration_ms: ms, ...rest } = fields;
  assert.equal(typeof ms, 'number');
  assert.ok(ms >= 0);
  for (const key of Object.keys(fields)) assert.ok(FIELDS.has(key), `unexpected field ${key}`);
  return { level, message, ...rest };
});

describe('SnapshotClient logger', () => {
  it('logs one record per call with the outcome, bytes, attempts and status', async () => {
    const body = '{"type":"session"}\n';
    const gw = await startGateway((req) => {
      if (req.method === 'GET') return { body };
      if (req.method === 'DELETE') return { body: '{"deleted":1}' };
      return { body: '{"id":1}' };
    });
    const log = recorder();
    const client = await SnapshotClient.open({ preopens: { '/workspace': workspace }, logger: log });
    try {
      await client.hydrate({ url: gw.url, token: TOKEN }, SESSION);
      await client.write(gw.url, RUN, SESSION, 'completed');
      await client.write(gw.url, RUN, SESSION, 'cancelled');
      await client.write(gw.url, RUN, SESSION, 'completed', { maxWriteBytes: 4 });
      await assert.rejects(client.hydrate({ url: gw.url, token: TOKEN }, SESSION, { maxHydrateBytes: 4 }));
      await client.clear({ url: gw.url, token: TOKEN });
      await client.runBindingFromPayload('{}'); // not a gateway call: no record
    } finally {
      await client.close();
      await gw.close();
    }
    const n = Buffer.byteLength(body);
    assert.deepEqual(summary(log.logged), [
      { level: 'info', message: 'transcript-snapshot hydrate: hydrated', operation: 'hydrate', outcome: 'hydrated', bytes: n, attempts: 1, status: 200 },
      { level: 'info', message: 'transcript-snapshot write: stored', operation: 'write', outcome: 'stored', bytes: n, attempts: 1, status: 200 },
      { level: 'info', message: 'transcript-snapshot write: skipped (not-completed)', operation: 'write', outcome: 'skipped', attempts: 0 },
      { level: 'warn', message: 'transcript-snapshot write: too-large', operation: 'write', outcome: 'too-large', bytes: n, attempts: 0 },
      {
        level: 'warn', message: 'transcript-snapshot hydrate: failed', operation: 'hydrate', outcome: 'failed', bytes: n, attempts: 1, error: `snapshot of ${n} bytes is over the limit of 4`,
      },
      { level: 'info', message: 'transcript-snapshot clear: cleared', operation: 'clear', outcome: 'cleared', attempts: 1, status: 200 },
    ]);
  });

  it('logs failures at warn with the error, whether the gateway, the network or the caller failed', async () => {
    const gw = await startGateway(() => ({ status: 401, body: `bad token ${TOKEN}` }));
    const log = recorder();
    const client = await SnapshotClient.open({ preopens: { '/workspace': workspace }, logger: log });
    try {
      await assert.rejects(client.hydrate({ url: gw.url, token: TOKEN }, SESSION));
      await assert.rejects(client.hydrate({ url: 'http://127.0.0.1:1', token: TOKEN }, SESSION, { maxAttempts: 1 }));
      await assert.rejects(client.hydrate({ url: gw.url, token: TOKEN }, SESSION, { nope: 1 }), TypeError);
    } finally {
      await client.close();
      await gw.close();
    }
    assert.deepEqual(summary(log.logged), [
      { level: 'warn', message: 'transcript-snapshot hydrate: failed', operation: 'hydrate', outcome: 'failed', attempts: 1, status: 401, error: 'gateway answered HTTP 401' },
      {
        level: 'warn', message: 'transcript-snapshot hydrate: failed', operation: 'hydrate', outcome: 'failed', attempts: 1, error: 'connection refused (connection-refused)',
      },
      { level: 'warn', message: 'transcript-snapshot hydrate: failed', operation: 'hydrate', outcome: 'failed', attempts: 0, error: 'unknown option "nope"' },
    ]);
  });

  it('accepts console, and no line it prints holds a token, on success or failure', async () => {
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d) => { text += d; });
    const logger = new Console({ stdout: out, stderr: out });
    const ok = await startGateway((req) => (req.method === 'POST' ? { status: 409 } : { status: 404 })); // 404 on DELETE: cleared
    const bad = await startGateway(() => ({ status: 500, body: `no ${TOKEN} ${RUN.token}` }));
    const client = await SnapshotClient.open({ preopens: { '/workspace': workspace }, logger });
    try {
      await writeFile(path.join(workspace, '.openclaw/session.jsonl'), 'x\n');
      await client.hydrate({ url: ok.url, token: TOKEN }, SESSION);
      await client.write(ok.url, RUN, SESSION, 'completed');
      await client.clear({ url: `${ok.url}/p`, token: TOKEN });
      const fast = { maxAttempts: 2, retryBaseMs: 1, retryCapMs: 1 };
      await assert.rejects(client.hydrate({ url: bad.url, token: TOKEN }, SESSION, fast));
      await client.write(bad.url, RUN, SESSION, 'completed', fast);
      await client.clear({ url: bad.url, token: TOKEN }, fast);
      await client.hydrate({ url: ok.url, token: `${TOKEN}\n` }, SESSION).catch(() => {}); // refused before sending
      await client.write('not a url', RUN, SESSION, 'completed');
    } finally {
      await client.close();
      await ok.close();
      await bad.close();
    }
    const lines = text.split('\n').filter(Boolean);
    for (const what of ['hydrate: no-snapshot', 'write: duplicate', 'clear: cleared', 'hydrate: failed', 'write: failed', 'clear: failed']) {
      assert.ok(text.includes(`transcript-snapshot ${what}`), `no "${what}" in:\n${text}`);
    }
    assert.ok(lines.length >= 8);
    for (const line of lines) {
      assert.ok(!line.includes(TOKEN) && !line.includes(RUN.token), `a token in: ${line}`);
      assert.ok(!line.includes('deploy-token') && !line.includes('run-token'), `part of a token in: ${line}`);
    }
  });

  it('refuses a logger without info and warn', async () => {
    await assert.rejects(SnapshotClient.open({ logger: {} }), TypeError);
    await assert.rejects(SnapshotClient.open({ logger: { info() {} } }), TypeError);
  });
});
