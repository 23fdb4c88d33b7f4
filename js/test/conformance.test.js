// The shared conformance suite (host-tests/cases), one test per case.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, describe, it } from 'node:test';
import { SandboxPool, jcoCases, runCase, stringify } from './support/conformance.js';

// Most cases take milliseconds; a few wait on purpose (timeouts, delayed
// gateways, retry backoff). Running several at once hides those waits; the
// bound keeps a 2-core machine from starving the timing-sensitive ones.
const CONCURRENCY = Number(process.env.CONFORMANCE_CONCURRENCY) || Math.max(6, availableParallelism() * 4);

describe('conformance (jco)', { concurrency: CONCURRENCY }, () => {
  const pool = new SandboxPool();
  after(() => pool.close());

  for (const c of jcoCases()) {
    it(c.name, { timeout: 60_000 }, async () => {
      const slot = await pool.acquire();
      let healthy = false;
      try {
        const { outcome, problems } = await runCase(c, slot);
        healthy = true;
        assert.deepEqual(problems, [], `${c.about}\noutcome: ${stringify(outcome)}`);
      } finally {
        await pool.release(slot, healthy);
      }
    });
  }
});
