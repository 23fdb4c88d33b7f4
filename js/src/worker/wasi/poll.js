// wasi:io/poll. A pollable is a readiness test that runs in this thread
// (stream and future state lives here, fed by the channel) plus, for clock
// pollables, the instant it becomes ready. Waiting parks the thread on the
// channel until a message makes one ready or the earliest instant passes, so
// a timer fires on time even while nothing arrives.

/** Returns `{ Pollable, poll, pollable(test, at?) }` bound to `channel`. */
export function createPoll(channel) {
  class Pollable {
    #test;
    #at; // monotonic ns (bigint) at which it is ready by itself, or null

    /** Host-side only: the guest never constructs a pollable. */
    constructor(test, at = null) {
      this.#test = test;
      this.#at = at;
    }

    ready() {
      channel.pump();
      if (this.#test()) return true;
      channel.flush(); // a guest that polls instead of blocking is waiting too
      return false;
    }

    // On the caller's thread (../../caller/channel.js) waitFor returns a
    // promise, and so do block and poll (async imports there).
    block() {
      const waited = channel.waitFor(this.#test, this.#at);
      return waited instanceof Promise ? waited.then(() => undefined) : undefined;
    }

    static poll(list) {
      if (list.length === 0) throw new Error('wasi:io/poll: poll on an empty list');
      let at = null;
      for (const p of list) {
        if (p.#at !== null && (at === null || p.#at < at)) at = p.#at;
      }
      const readyOnes = () => {
        const out = [];
        list.forEach((p, i) => { if (p.#test()) out.push(i); });
        return out;
      };
      let found = [];
      const done = () => {
        // Woken by the earliest instant: that pollable's own test now holds.
        if (found.length === 0) found = readyOnes();
        return Uint32Array.from(found);
      };
      const waited = channel.waitFor(() => (found = readyOnes()).length > 0, at);
      return waited instanceof Promise ? waited.then(done) : done();
    }
  }

  return {
    Pollable,
    poll: (list) => Pollable.poll(list),
    pollable: (test, at) => new Pollable(test, at),
  };
}
