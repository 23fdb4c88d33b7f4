// The package's own WASI interfaces: everything a component instance needs for
// HTTP (wasi:http, the streams and pollables of its bodies, the clock its
// timeouts run on). The filesystem is ours too but separate (filesystem.js,
// built from a client's preopens). Random and wall-clock stay the shim's;
// neither hands the component a stream or a pollable, so ours are the only
// ones it ever sees (jco checks resources by class, so mixing would fail).
import { createMonotonicClock } from './clocks.js';
import { createHttpTypes } from './http-types.js';
import { createOutgoingHandler } from './outgoing.js';
import { createPoll } from './poll.js';
import { createStreams } from './streams.js';

export { Channel } from './channel.js';

/** Import-object entries for one instance, all speaking over `channel`. */
export function httpImports(channel, { allowedAuthorities } = {}) {
  const { Pollable, poll, pollable } = createPoll(channel);
  const streams = createStreams(channel, pollable);
  const { types, FutureIncomingResponse } = createHttpTypes(channel, streams, pollable);
  return {
    'wasi:clocks/monotonic-clock': createMonotonicClock(pollable),
    'wasi:http/outgoing-handler': createOutgoingHandler(FutureIncomingResponse, allowedAuthorities),
    'wasi:http/types': types,
    'wasi:io/error': { Error: streams.IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream: streams.InputStream, OutputStream: streams.OutputStream },
  };
}
