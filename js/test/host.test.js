// What the Node host adds around the component: a free event loop, a
// per-client sandbox, the authority allow-list, the API's own contract, and
// the README example.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SnapshotClient, SnapshotError } from '@lobu/transcript-snapshot';
import { startGateway } from './support/gateway.js';

const SESSION = '/workspace/.openclaw/session.jsonl';
const TOKEN = 'deploy-token-5b7e';
const RUN = { runId: 42, token: 'run-token-91c2' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let root;
before(async () => { root = await mkdtemp(path.join(tmpdir(), 'ts-jco-host-')); });
after(() => rm(root, { recursive: true, force: true }));
const sandbox = (name) => mkdir(path.join(root, name), { recursive: true }).then(() => path.join(root, name));

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('event loop', () => {
  it('stays responsive while a call waits on a slow gateway', async () => {
    const gw = await startGateway((req) => (req.path === '/ping' ? { body: 'pong' } : { body: '{"n":1}\n', delayMs: 1000 }));
    const client = await SnapshotClient.open({ preopens: { '/workspace': await sandbox('loop') } });
    try {
      let ticks = 0;
      const timer = setInterval(() => { ticks += 1; }, 50);
      let settled = false;
      const call = client.hydrate({ url: gw.url, token: TOKEN }, SESSION).finally(() => { settled = true; });
      await sleep(300);
      // The same thread serves the gateway, and answers another client meanwhile.
      assert.equal(await (await fetch(`${gw.url}/ping`)).text(), 'pong');
      assert.equal(settled, false, 'the ping was answered while the call was still in flight');
      const outcome = await call;
      clearInterval(timer);
      assert.deepEqual(outcome, { kind: 'hydrated', bytes: 8, attempts: 1 });
      assert.ok(ticks >= 10, `timer fired only ${ticks} times during a ~1 s call`);
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('runs calls on separate clients in parallel', async () => {
    const gw = await startGateway(() => ({ body: 'x\n', delayMs: 500 }));
    const clients = await Promise.all([1, 2, 3].map(async (i) => SnapshotClient.open({ preopens: { '/workspace': await sandbox(`par${i}`) } })));
    try {
      const t0 = performance.now();
      await Promise.all(clients.map((c) => c.hydrate({ url: gw.url, token: TOKEN }, SESSION)));
      assert.ok(performance.now() - t0 < 1400, 'three 500 ms calls overlapped');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await gw.close();
    }
  });
});

describe('sandbox', () => {
  let gw;
  before(async () => { gw = await startGateway(() => ({ body: 'pulled\n' })); });
  after(() => gw.close());

  it('reports a path outside every preopen as not-preopened, sending nothing', async () => {
    const client = await SnapshotClient.open({ preopens: { '/workspace': await sandbox('outside') } });
    try {
      const before = gw.requests.length;
      const e = await rejection(client.hydrate({ url: gw.url, token: TOKEN }, '/etc/session.jsonl'));
      assert.ok(e instanceof SnapshotError);
      assert.deepEqual(e.error, { kind: 'not-preopened', path: '/etc/session.jsonl' });
      assert.equal(e.attempts, 0);
      const w = await client.write(gw.url, RUN, '/tmp/session.jsonl', 'completed');
      assert.deepEqual(w, { kind: 'failed', error: { kind: 'not-preopened', path: '/tmp/session.jsonl' }, attempts: 0 });
      assert.equal(gw.requests.length, before);
    } finally {
      await client.close();
    }
  });

  it("keeps each client's preopens to itself", async () => {
    const dirA = await sandbox('a');
    const dirB = await sandbox('b');
    await mkdir(path.join(dirA, '.openclaw'));
    await writeFile(path.join(dirA, '.openclaw/session.jsonl'), '{"secret":"A"}\n');
    const a = await SnapshotClient.open({ preopens: { '/workspace': dirA } });
    const b = await SnapshotClient.open({ preopens: { '/workspace': dirB, '/data': await sandbox('b-data') } });
    try {
      // Same guest path, different host directory: B cannot see A's file...
      assert.deepEqual(await b.write(gw.url, RUN, SESSION, 'completed'), { kind: 'skipped', reason: 'session-file-missing' });
      // ...and what B hydrates lands in B's directory only.
      await b.hydrate({ url: gw.url, token: TOKEN }, SESSION);
      assert.equal(await readFile(path.join(dirB, '.openclaw/session.jsonl'), 'utf8'), 'pulled\n');
      assert.equal(await readFile(path.join(dirA, '.openclaw/session.jsonl'), 'utf8'), '{"secret":"A"}\n');
      // A has no /data preopen.
      const e = await rejection(a.hydrate({ url: gw.url, token: TOKEN }, '/data/session.jsonl'));
      assert.equal(e.error.kind, 'not-preopened');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('does not follow a symlink out of the preopen', async () => {
    const secret = await sandbox('secret');
    await writeFile(path.join(secret, 'id_rsa'), 'PRIVATE\n');
    const ws = await sandbox('planted');
    await mkdir(path.join(ws, '.openclaw'));
    await symlink(path.join(secret, 'id_rsa'), path.join(ws, '.openclaw/session.jsonl'));
    const client = await SnapshotClient.open({ preopens: { '/workspace': ws } });
    try {
      const before = gw.requests.length;
      const w = await client.write(gw.url, RUN, SESSION, 'completed');
      assert.equal(w.kind, 'failed');
      assert.equal(w.error.kind, 'filesystem');
      assert.equal(gw.requests.length, before, 'the file behind the link was not uploaded');
    } finally {
      await client.close();
    }
  });

  it('does not go through a symlinked parent directory that leads out of the preopen', async () => {
    const outside = await sandbox('outside-dir');
    await writeFile(path.join(outside, 'session.jsonl'), '{"secret":"outside"}\n');
    const ws = await sandbox('planted-dir');
    await symlink(outside, path.join(ws, '.openclaw'));
    const client = await SnapshotClient.open({ preopens: { '/workspace': ws } });
    try {
      const before = gw.requests.length;
      const w = await client.write(gw.url, RUN, SESSION, 'completed');
      assert.deepEqual(w.kind === 'failed' && w.error, { kind: 'filesystem', operation: 'open session file', code: 'not-permitted' });
      assert.equal(gw.requests.length, before, 'the file behind the link was not uploaded');
      // A hydrate does not write (or even stage a file) behind the link either.
      const e = await rejection(client.hydrate({ url: gw.url, token: TOKEN }, SESSION));
      assert.equal(e.error?.kind, 'filesystem');
      assert.equal(e.error.code, 'not-permitted');
      assert.deepEqual(await readdir(outside), ['session.jsonl']);
      assert.equal(await readFile(path.join(outside, 'session.jsonl'), 'utf8'), '{"secret":"outside"}\n');
    } finally {
      await client.close();
    }
  });
});

describe('authority allow-list', () => {
  it('denies any other authority before a byte is sent', async () => {
    const allowed = await startGateway(() => ({ body: 'ok\n' }));
    const other = await startGateway(() => ({ body: 'ok\n' }));
    const client = await SnapshotClient.open({
      preopens: { '/workspace': await sandbox('allow') }, allowedAuthorities: [allowed.authority],
    });
    try {
      // The allowed gateway works (and leaves a session file for the write below).
      assert.equal((await client.hydrate({ url: allowed.url, token: TOKEN }, SESSION)).kind, 'hydrated');
      assert.equal(allowed.requests.length, 1);
      const e = await rejection(client.hydrate({ url: other.url, token: TOKEN }, SESSION));
      assert.ok(e instanceof SnapshotError);
      assert.deepEqual(e.error, { kind: 'denied' });
      const w = await client.write(other.url, RUN, SESSION, 'completed');
      assert.deepEqual(w.kind === 'failed' && w.error, { kind: 'denied' });
      const c = await client.clear({ url: `${other.url}/prefix`, token: TOKEN });
      assert.deepEqual(c.kind === 'failed' && c.error, { kind: 'denied' });
      assert.equal(other.requests.length, 0);
    } finally {
      await client.close();
      await allowed.close();
      await other.close();
    }
  });

  it('treats a port-less entry as the scheme default port', async () => {
    const gw = await startGateway();
    const client = await SnapshotClient.open({ preopens: {}, allowedAuthorities: ['127.0.0.1'] });
    try {
      const c = await client.clear({ url: gw.url, token: TOKEN });
      assert.deepEqual(c.kind === 'failed' && c.error, { kind: 'denied' }); // gw is not on port 80
      assert.equal(gw.requests.length, 0);
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

describe('API', () => {
  let client;
  let gw;
  before(async () => {
    gw = await startGateway((req) => (req.method === 'DELETE' ? { body: '{"deleted":3}' } : { status: 500 }));
    client = await SnapshotClient.open({ preopens: { '/workspace': await sandbox('api') } });
  });
  after(async () => { await client.close(); await gw.close(); });

  it('returns plain objects with numbers for u64 values', async () => {
    assert.deepEqual(await client.clear({ url: gw.url, token: TOKEN }), { kind: 'cleared', status: 200, deleted: 3, attempts: 1 });
    assert.deepEqual(await client.runBindingFromPayload('{"runId":7,"runJobToken":"t"}'), { runId: 7, token: 't' });
    assert.equal(await client.runBindingFromPayload('{"runId":7}'), null);
    const big = 2n ** 60n;
    const w = await client.write(gw.url, RUN, SESSION, 'failed', { maxWriteBytes: big });
    assert.deepEqual(w, { kind: 'skipped', reason: 'not-completed' });
  });

  it('rejects with SnapshotError whose message and error never carry the token', async () => {
    const e = await rejection(client.hydrate({ url: gw.url, token: TOKEN }, SESSION, { maxAttempts: 1 }));
    assert.ok(e instanceof SnapshotError);
    assert.deepEqual(e.error, { kind: 'http-status', status: 500 });
    const bad = 'evil\ntoken-3c9d';
    const e2 = await rejection(client.hydrate({ url: gw.url, token: bad }, SESSION));
    assert.equal(e2.error.kind, 'invalid-input');
    for (const err of [e, e2]) {
      for (const secret of [TOKEN, bad, 'token-3c9d']) {
        assert.ok(!err.message.includes(secret) && !JSON.stringify(err.error).includes(secret));
      }
    }
    const p = await rejection(client.runBindingFromPayload('[1'));
    assert.equal(p.error.kind, 'invalid-input');
  });

  it('rejects malformed arguments with TypeError before calling the component', async () => {
    await assert.rejects(client.hydrate({ url: gw.url, token: TOKEN }, SESSION, { timeoutMS: 5 }), TypeError);
    await assert.rejects(client.hydrate({ url: gw.url, token: TOKEN }, SESSION, { timeoutMs: 1.5 }), TypeError);
    await assert.rejects(client.write(gw.url, { runId: 1.5, token: 'x' }, SESSION, 'completed'), TypeError);
    await assert.rejects(client.write(gw.url, null, SESSION, 'done'), TypeError);
    await assert.rejects(SnapshotClient.open({ preopens: { workspace: root } }), TypeError);
    await assert.rejects(SnapshotClient.open({ preopens: {}, allowedAuthorities: ['http://x'] }), TypeError);
  });

  it('close() rejects a call in flight and every later call', async () => {
    const slow = await startGateway(() => ({ body: 'x', delayMs: 5000 }));
    const c = await SnapshotClient.open({ preopens: { '/workspace': await sandbox('close') } });
    const inFlight = c.hydrate({ url: slow.url, token: TOKEN }, SESSION);
    const rejected = assert.rejects(inFlight, /closed/);
    await sleep(200);
    const t0 = performance.now();
    await c.close();
    await rejected;
    assert.ok(performance.now() - t0 < 2000, 'terminate does not wait for the blocked call');
    await assert.rejects(c.runBindingFromPayload('{}'), /closed/);
    await c.close(); // idempotent
    await slow.close();
  });
});

describe('process lifetime', () => {
  it('an idle client that is never closed does not keep Node alive', async () => {
    const script = `
      import { SnapshotClient } from '@lobu/transcript-snapshot';
      const c = await SnapshotClient.open({ preopens: {} });
      console.log(JSON.stringify(await c.runBindingFromPayload('{"runId":1,"runJobToken":"t"}')));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 10_000,
    });
    assert.equal(stdout.trim(), '{"runId":1,"token":"t"}');
  });

  it('a connection kept alive after a call holds no reference on the process', async () => {
    const gw = await startGateway(() => ({ body: 'kept\n' }));
    const ws = await sandbox('kept-alive');
    const script = `
      import { SnapshotClient } from '@lobu/transcript-snapshot';
      const c = await SnapshotClient.open({ preopens: { '/w': ${JSON.stringify(ws)} } });
      const out = await c.hydrate({ url: ${JSON.stringify(gw.url)}, token: 't-0123456789' }, '/w/s.jsonl');
      // (on Bun, this one goes by fetch, whose connection is kept alive too)
      const again = await c.hydrate({ url: ${JSON.stringify(gw.url)}, token: 't-0123456789' }, '/w/s.jsonl');
      await new Promise((r) => setImmediate(r));
      const sockets = process.getActiveResourcesInfo?.().filter((r) => /TCP|Socket/i.test(r)) ?? [];
      console.log(JSON.stringify({ kinds: [out.kind, again.kind], sockets }));`;
    try {
      const t0 = performance.now();
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 10_000,
      });
      assert.deepEqual(JSON.parse(stdout), { kinds: ['hydrated', 'hydrated'], sockets: [] });
      // Well before either side's idle timeout (4 s here, 5 s in the gateway) would close them.
      assert.ok(performance.now() - t0 < 3500, `the process took ${Math.round(performance.now() - t0)} ms to exit`);
    } finally {
      await gw.close();
    }
  });
});

describe('on Bun, with a proxy in the environment', () => {
  // Bun's fetch would follow HTTP_PROXY, node:http does not: with one set, no
  // request goes by fetch (its user-agent would say Bun/…), and none through the proxy.
  it('sends every request by node:http, to the gateway itself', { skip: typeof globalThis.Bun === 'undefined' && 'Bun only' }, async () => {
    const gw = await startGateway(() => ({ body: 'kept\n' }));
    const ws = await sandbox('proxied');
    const script = `
      import { SnapshotClient } from '@lobu/transcript-snapshot';
      const c = await SnapshotClient.open({ preopens: { '/w': ${JSON.stringify(ws)} } });
      const kinds = [];
      for (let i = 0; i < 3; i += 1) kinds.push((await c.hydrate({ url: ${JSON.stringify(gw.url)}, token: 't-0123456789' }, '/w/s.jsonl')).kind);
      console.log(JSON.stringify(kinds));`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 10_000,
        env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9' },
      });
      assert.deepEqual(JSON.parse(stdout), ['hydrated', 'hydrated', 'hydrated']);
      assert.deepEqual(gw.requests.map((r) => r.headers['user-agent']?.startsWith('Bun/') ?? false), [false, false, false]);
    } finally {
      await gw.close();
    }
  });
});

describe('README example', () => {
  it('examples/embed.mjs hydrates and writes against a gateway', async () => {
    const snapshot = '{"type":"session","id":"s1"}\n';
    const gw = await startGateway((req) => (req.method === 'GET' ? { body: snapshot } : { body: '{"id":1}' }));
    const ws = await sandbox('example');
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../examples/embed.mjs', import.meta.url))], {
        env: { ...process.env, GATEWAY_URL: gw.url, GATEWAY_TOKEN: TOKEN, WORKSPACE: ws, JOB_PAYLOAD: JSON.stringify({ runId: 9, runJobToken: 'run-tok-e1' }) },
        timeout: 20_000,
      });
      const n = Buffer.byteLength(snapshot);
      assert.ok(stdout.includes(`hydrate {"kind":"hydrated","bytes":${n},"attempts":1}`), stdout);
      assert.ok(stdout.includes(`write {"kind":"stored","bytes":${n},"status":200,"attempts":1}`), stdout);
      assert.equal(await readFile(path.join(ws, '.openclaw/session.jsonl'), 'utf8'), snapshot);
      const post = gw.requests.find((r) => r.method === 'POST');
      assert.equal(post.headers.authorization, 'Bearer run-tok-e1');
      assert.deepEqual(JSON.parse(post.body), { terminalStatus: 'completed', snapshotJsonl: snapshot, runId: 9 });
    } finally {
      await gw.close();
    }
  });
});

// EXPERIMENTAL: the component on the caller's thread (src/caller/). The whole
// conformance suite runs this way with TRANSCRIPT_SNAPSHOT_THREAD=caller.
describe("thread: 'caller'", () => {
  it('hydrates and writes on the caller thread, and the event loop keeps turning', async () => {
    const gw = await startGateway((req) => (req.method === 'GET' ? { body: '{"n":1}\n', delayMs: 300 } : { status: 201, body: '{}' }));
    const dir = await sandbox('caller');
    const client = await SnapshotClient.open({ preopens: { '/workspace': dir }, thread: 'caller' });
    try {
      let ticks = 0;
      const timer = setInterval(() => { ticks += 1; }, 50);
      const h = await client.hydrate({ url: gw.url, token: TOKEN }, SESSION);
      clearInterval(timer);
      assert.deepEqual(h, { kind: 'hydrated', bytes: 8, attempts: 1 });
      assert.ok(ticks >= 3, `the timer fired ${ticks} times during a 300 ms wait`);
      assert.equal(await readFile(path.join(dir, '.openclaw/session.jsonl'), 'utf8'), '{"n":1}\n');
      const w = await client.write(gw.url, RUN, SESSION, 'completed');
      assert.equal(w.kind, 'stored');
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('refuses an unknown thread', async () => {
    await assert.rejects(SnapshotClient.open({ preopens: {}, thread: 'other' }), TypeError);
  });
});
