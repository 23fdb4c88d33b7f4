// The shared specifications beside the conformance cases, on the Node host:
// host-tests/cases/descriptions.json (the one description of every error, and
// the one redaction mark) and host-tests/cases/canonical.json (every outcome
// shape in canonical JSON). The Rust and Python suites check the same files,
// so the three hosts cannot drift apart unnoticed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SnapshotClient, SnapshotError } from '@lobu/transcript-snapshot';
import {
  describeError, fromClear, fromError, fromFailure, fromHydrate, fromRunBinding, fromWrite,
} from '../src/shared/convert.js';
import { thrownFields } from '../src/main/log.js';
import {
  canonicalBinding, canonicalClear, canonicalError, canonicalFailure, canonicalHydrate, canonicalWrite,
} from './support/conformance.js';
import { startGateway } from './support/gateway.js';

const spec = (name) => JSON.parse(readFileSync(new URL(`../../host-tests/cases/${name}`, import.meta.url), 'utf8'));
const DESCRIPTIONS = spec('descriptions.json');
const CANONICAL = spec('canonical.json');

// Canonical JSON → the values jco's bindings return, so each example goes
// through the package's own readers (fromError, fromHydrate, …) as a real
// result would: a variant is `{ tag, val }`, record keys are camelCase, `none`
// is undefined. Payloads are plain values, except a failure's `error` field.
const camel = (k) => k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

function jcoPayload(p) {
  if (p === null) return undefined;
  if (typeof p !== 'object') return p;
  return Object.fromEntries(Object.entries(p)
    .map(([k, v]) => [camel(k), k === 'error' ? jcoVariant(v) : jcoPayload(v)]));
}

function jcoVariant(v) {
  if (typeof v === 'string') return { tag: v };
  const [[tag, val], ...rest] = Object.entries(v);
  assert.equal(rest.length, 0, `not a canonical variant: ${JSON.stringify(v)}`);
  return { tag, val: jcoPayload(val) };
}

/** `{"ok": …}` / `{"err": …}` read with `ok` and `err`, written back the same way. */
function roundTripResult(example, ok, err) {
  const [[tag, val]] = Object.entries(example);
  return tag === 'ok' ? { ok: ok(val) } : { err: err(val) };
}

describe('shared descriptions (host-tests/cases/descriptions.json)', () => {
  for (const { error, text } of DESCRIPTIONS.descriptions) {
    it(`${JSON.stringify(error)} reads "${text}"`, () => {
      const e = fromError(jcoVariant(error));
      assert.equal(describeError(e), text);
      assert.deepEqual(canonicalError(e), error);
    });
  }

  it('a SnapshotError states the description after its operation', async () => {
    const client = await SnapshotClient.open();
    try {
      await assert.rejects(client.runBindingFromPayload('[]'), (e) => {
        assert.ok(e instanceof SnapshotError);
        assert.equal(e.message, `runBindingFromPayload: ${describeError(e.error)}`);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('a retried failure adds "after N attempts", as the Rust and Python hosts do', async () => {
    const gw = await startGateway(() => ({ status: 503 }));
    const dir = await mkdtemp(path.join(tmpdir(), 'ts-jco-retried-'));
    const client = await SnapshotClient.open({ preopens: { '/workspace': dir } });
    const gateway = { url: gw.url, token: 'tok-retried-0123456789' };
    try {
      await assert.rejects(client.hydrate(gateway, '/workspace/session.jsonl', { maxAttempts: 3, retryBaseMs: 1, retryCapMs: 1 }),
        { name: 'SnapshotError', message: 'hydrate: gateway answered HTTP 503 after 3 attempts', attempts: 3 });
      await assert.rejects(client.hydrate(gateway, '/workspace/session.jsonl', { maxAttempts: 1 }),
        { name: 'SnapshotError', message: 'hydrate: gateway answered HTTP 503', attempts: 1 });
    } finally {
      await client.close();
      await gw.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the component and this package mask a token with the same mark', async () => {
    const mark = DESCRIPTIONS['redaction-mark'];
    const token = 'tok-LEAK-CANARY-5b1e';
    const dir = await mkdtemp(path.join(tmpdir(), 'ts-jco-mark-'));
    const client = await SnapshotClient.open({ preopens: { '/workspace': dir } });
    try {
      await assert.rejects(
        client.hydrate({ url: 'http://127.0.0.1:1', token }, `/etc/${token}/session.jsonl`),
        (e) => {
          assert.deepEqual(e.error, { kind: 'not-preopened', path: `/etc/${mark}/session.jsonl` });
          return true;
        },
      );
    } finally {
      await client.close();
      await rm(dir, { recursive: true, force: true });
    }
    // The package's own texts (a log record of a call that threw before the component).
    const fields = thrownFields('hydrate', new Error(`bad url for ${token}`), 1, token);
    assert.equal(fields.error, `bad url for ${mark}`);
  });
});

describe('shared canonical JSON (host-tests/cases/canonical.json)', () => {
  const failure = (f) => canonicalFailure(fromFailure(jcoPayload(f)));
  const cases = {
    hydrate: (ex) => roundTripResult(ex, (o) => canonicalHydrate(fromHydrate(jcoVariant(o))), failure),
    write: (ex) => canonicalWrite(fromWrite(jcoVariant(ex))),
    clear: (ex) => canonicalClear(fromClear(jcoVariant(ex))),
    'run-binding-from-payload': (ex) => roundTripResult(ex,
      (b) => canonicalBinding(fromRunBinding(jcoPayload(b))),
      (e) => canonicalError(fromError(jcoVariant(e)))),
  };
  for (const [call, roundTrip] of Object.entries(cases)) {
    it(`every ${call} outcome reads back as written`, () => {
      for (const example of CANONICAL[call]) assert.deepEqual(roundTrip(example), example);
    });
  }
});
