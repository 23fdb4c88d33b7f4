// The package's own WASI interfaces: everything a component instance imports
// but its files (filesystem.js, built from a client's preopens): wasi:http, the
// streams and pollables of its bodies, the clocks, insecure random.
import { createMonotonicClock, insecureRandom, wallClock } from './clocks.js';
import { createHttpTypes } from './http-types.js';
import { createOutgoingHandler } from './outgoing.js';
import { createPoll } from './poll.js';
import { createStreams } from './streams.js';

/** Import-object entries for one instance, all speaking over `channel` (../channel.js). */
export function wasiImports(channel, { allowedAuthorities } = {}) {
  const { Pollable, poll, pollable } = createPoll(channel);
  const streams = createStreams(channel, pollable);
  const { types, FutureIncomingResponse } = createHttpTypes(channel, streams, pollable);
  return {
    'wasi:clocks/monotonic-clock': createMonotonicClock(pollable),
    'wasi:clocks/wall-clock': wallClock,
    'wasi:http/outgoing-handler': createOutgoingHandler(FutureIncomingResponse, allowedAuthorities),
    'wasi:http/types': types,
    'wasi:io/error': { Error: streams.IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream: streams.InputStream, OutputStream: streams.OutputStream },
    'wasi:random/insecure': insecureRandom,
  };
}
