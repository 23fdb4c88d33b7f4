// End to end, as cli/src/demo.rs walks it: one conversation moves between two
// pods (two clients, each with its own workspace) through the REAL reference
// gateway, once on SQLite (one gateway process) and once on PostgreSQL (two
// gateway processes on one database, one per pod, so every hand-over between
// the pods also crosses replicas). Each step checks the outcome the worker
// would act on; session files are compared byte for byte (SHA-256).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { SnapshotClient, SnapshotError } from '@lobu/transcript-snapshot';
import { Processes, mintToken } from './support/reference-gateway.js';

const SESSION = '/workspace/.openclaw/session.jsonl';
const SCOPE = { org: 'org-e2e', agent: 'agent-e2e', conversation: 'conversation-42' };
// Starting PostgreSQL (initdb) and two gateways takes a few seconds on a loaded 2-core machine.
const TIMEOUT = 120_000;

const show = (v) => inspect(v, { depth: 5, breakLength: Infinity });

/** Asserts that `outcome` has every field of `want`, naming the step when it has not. */
function expectOutcome(step, outcome, want) {
  const ok = Object.entries(want).every(([k, v]) => outcome?.[k] === v);
  assert.ok(ok, `step ${step}: expected ${show(want)}, got ${show(outcome)}`);
}

async function sha256(file) {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch (e) {
    if (e.code === 'ENOENT') return '(no file)';
    throw e;
  }
}

/** A worker pod: its own workspace, and a client that may only reach its own gateway. */
async function openPod(t, name, dir, gateway) {
  const workspace = path.join(dir, name);
  await mkdir(workspace, { recursive: true });
  const client = await SnapshotClient.open({ preopens: { '/workspace': workspace }, allowedAuthorities: [gateway.authority] });
  t.after(() => client.close());
  const file = path.join(workspace, '.openclaw/session.jsonl');
  return {
    name,
    file,
    gateway,
    client,
    /** One agent turn: the worker appends a user and an assistant line (non-ASCII on purpose). */
    async appendTurn(run, text) {
      await mkdir(path.dirname(file), { recursive: true });
      const line = (role, content) => `${JSON.stringify({ type: 'message', run, role, text: content })}\n`;
      await appendFile(file, line('user', text) + line('assistant', `noted: ${text} ✓`));
    },
    async size() {
      return (await readFile(file)).length;
    },
  };
}

/** Walks the conversation; `gatewayA` serves pod A and `gatewayB` pod B (the same one on SQLite). */
async function walk(t, gatewayA, gatewayB, secret) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ts-jco-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const deployment = await mintToken(secret, SCOPE);
  const runTokens = new Map();
  for (const runId of [1, 2, 3]) runTokens.set(runId, await mintToken(secret, SCOPE, runId));
  const podA = await openPod(t, 'pod-A', dir, gatewayA);
  const podB = await openPod(t, 'pod-B', dir, gatewayB);

  // hydrate rejects on failure (write and clear resolve with a `failed` outcome): say which step.
  const hydrate = async (step, pod) => {
    try {
      return await pod.client.hydrate({ url: pod.gateway.url, token: deployment }, SESSION);
    } catch (e) {
      if (e instanceof SnapshotError) assert.fail(`step ${step}: ${pod.name} hydrate rejected: ${e.message} ${show(e.error)}`);
      throw e;
    }
  };
  const write = (pod, runId, status) => pod.client.write(pod.gateway.url, { runId, token: runTokens.get(runId) }, SESSION, status);
  const sameBytes = async (step, a, b) => {
    const [ha, hb] = [await sha256(a.file), await sha256(b.file)];
    assert.equal(ha, hb, `step ${step}: session files differ (sha256 ${a.name} ${ha}, ${b.name} ${hb})`);
  };

  // 1. First turn of the conversation: nothing stored yet.
  expectOutcome('1 (pod-A hydrate, first turn)', await hydrate(1, podA), { kind: 'no-snapshot' });

  // 2. Run 1 completes on pod A and is stored.
  await podA.appendTurn(1, 'hello from run 1 — héllo, 日本語');
  const run1Bytes = await podA.size();
  expectOutcome('2 (pod-A write run 1, completed)', await write(podA, 1, 'completed'),
    { kind: 'stored', bytes: run1Bytes, status: 200 });

  // 3. The conversation moves to pod B, which pulls exactly what pod A had.
  expectOutcome('3 (pod-B hydrate, conversation moved)', await hydrate(3, podB), { kind: 'hydrated', bytes: run1Bytes });
  await sameBytes(3, podA, podB);

  // 4. Run 2 continues on pod B and is stored.
  await podB.appendTurn(2, 'run 2 continues on pod B — ça marche');
  const run2Bytes = await podB.size();
  expectOutcome('4 (pod-B write run 2, completed)', await write(podB, 2, 'completed'),
    { kind: 'stored', bytes: run2Bytes, status: 200 });
  const afterRun2 = await sha256(podB.file);

  // 5. A late retry of run 1's write (pod A never saw its answer) is a 409, not a second snapshot.
  expectOutcome("5 (pod-A retries run 1's write)", await write(podA, 1, 'completed'), { kind: 'duplicate' });

  // 6. Run 3 fails midway on pod B: nothing is sent.
  await podB.appendTurn(3, 'run 3 crashes midway');
  expectOutcome('6 (pod-B write run 3, failed)', await write(podB, 3, 'failed'), { kind: 'skipped', reason: 'not-completed' });

  // 7. Back on pod A, the latest completed snapshot is run 2's (not run 1's retry, not run 3's).
  expectOutcome("7 (pod-A hydrate, run 2's snapshot)", await hydrate(7, podA), { kind: 'hydrated', bytes: run2Bytes });
  assert.equal(await sha256(podA.file), afterRun2, "step 7: pod-A's session file is not pod-B's file as it was after run 2");

  // 8. Session reset: both stored snapshots go (run 3 never reached the gateway).
  const cleared = await podB.client.clear({ url: podB.gateway.url, token: deployment });
  expectOutcome('8 (pod-B clear)', cleared, { kind: 'cleared', status: 200, deleted: 2 });

  // 9./10. After the reset, neither pod (nor either replica) finds a snapshot.
  expectOutcome('9 (pod-A hydrate after reset)', await hydrate(9, podA), { kind: 'no-snapshot' });
  expectOutcome('10 (pod-B hydrate after reset)', await hydrate(10, podB), { kind: 'no-snapshot' });
}

describe('end to end against the reference gateway', () => {
  // Each backend gets its own secret, so a token from one walk means nothing to the other.
  const newSecret = () => `e2e-${randomBytes(16).toString('hex')}`;

  it('SQLite: one gateway, two pods', { timeout: TIMEOUT }, async (t) => {
    const procs = new Processes();
    t.after(() => procs.stopAll());
    const dbDir = await mkdtemp(path.join(tmpdir(), 'ts-jco-e2e-db-'));
    t.after(() => rm(dbDir, { recursive: true, force: true }));
    const secret = newSecret();
    const gateway = await procs.gateway({ database: path.join(dbDir, 'gateway.sqlite3'), secret });
    await walk(t, gateway, gateway, secret);
  });

  it('PostgreSQL: two gateway processes on one database, one per pod', { timeout: TIMEOUT }, async (t) => {
    const procs = new Processes();
    t.after(() => procs.stopAll());
    const database = await procs.postgres();
    const secret = newSecret();
    // Started together on purpose: the replicas race to run the migrations, which must be safe.
    const [gatewayA, gatewayB] = await Promise.all([procs.gateway({ database, secret }), procs.gateway({ database, secret })]);
    assert.notEqual(gatewayA.authority, gatewayB.authority);
    await walk(t, gatewayA, gatewayB, secret);
  });
});
