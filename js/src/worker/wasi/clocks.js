// wasi:clocks (monotonic and wall) and wasi:random/insecure: the last imports
// the package once took from preview2-shim. Ours because the monotonic
// clock's pollables must be the same class as the stream pollables they are
// polled with (jco checks resources by class), waiting on them must not cost
// a round trip to another thread (the guest's timeouts are built on them), and
// importing the whole shim for two trivial functions slowed a cold process.
import { hrtime } from 'node:process';

/** wasi:clocks/monotonic-clock; `pollable(test, at)` makes a pollable (see poll.js). */
export function createMonotonicClock(pollable) {
  const now = () => hrtime.bigint();
  const at = (instant) => pollable(() => now() >= instant, instant);
  return {
    now,
    resolution: () => 1n,
    subscribeInstant: (instant) => at(instant),
    subscribeDuration: (duration) => at(now() + duration),
  };
}

/** wasi:clocks/wall-clock (the component reads it for HTTP-date `retry-after`). */
export const wallClock = {
  now() {
    const ms = Date.now();
    return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
  },
  resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
};

/** `getRandomValues` fills at most this many bytes per call. */
const RANDOM_MAX = 65536;

/** wasi:random/insecure (retry jitter). Web Crypto's generator: better than
 * "insecure" needs, and it is a global, so it costs no import. */
export const insecureRandom = {
  getInsecureRandomBytes(len) {
    const out = new Uint8Array(Number(len));
    for (let i = 0; i < out.length; i += RANDOM_MAX) {
      globalThis.crypto.getRandomValues(out.subarray(i, i + RANDOM_MAX));
    }
    return out;
  },
  getInsecureRandomU64() {
    if (spare === spareValues.length) {
      globalThis.crypto.getRandomValues(spareValues);
      spare = 0;
    }
    return spareValues[spare++];
  },
};

// Values drawn ahead, a batch per getRandomValues call: one call costs a few
// µs in Node, as much as a file call, and the component asks for one per
// staging-file name and retry.
const spareValues = new BigUint64Array(64);
let spare = spareValues.length;
