// wasi:clocks/monotonic-clock. Ours rather than the shim's because its
// pollables must be the same class as the stream pollables they are polled
// with (jco checks resources by class), and because waiting on them must not
// cost a round trip to another thread: the guest's own timeouts are built on
// them, so they have to fire on time.
import { hrtime } from 'node:process';

/** `pollable(test, at)` makes a pollable (see poll.js). */
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
