// The messages between a client's two threads, named once for both sides: the
// caller's thread (../main/) and the worker that runs the component
// (../worker/). A name spelled differently on each side would be a message
// silently dropped, so neither side writes one as a literal.
//
// Two links join them:
//
// - The worker's own port (Worker's postMessage / parentPort) carries the
//   calls: `{ id, op: OPERATION.*, args, preopens? }` to the worker, answered
//   `{ id, ok }` | `{ id, err }` (a typed WIT error) | `{ id, trap }`; and once,
//   before any call, `{ type: MESSAGE.READY }` from the worker.
// - A MessagePort (with a shared word to wake a worker blocked in
//   Atomics.wait) carries the HTTP exchanges the caller's thread performs for
//   the worker, and the worker's file calls it makes on libuv's pool. The
//   worker's messages name themselves in `op`, the caller's thread's in
//   `type`; ../worker/wasi/exchange.js describes the exchange, and its flow
//   control, in full.

/** Message names on both links. Frozen: a typo is `undefined`, not a new name. */
export const MESSAGE = Object.freeze({
  // worker → caller's thread, the worker's port: the instance is ready for calls.
  READY: 'ready',

  // worker → caller's thread (`op`): one HTTP exchange, by its `id`.
  REQUEST: 'request', // the request's head; its body follows if `hasBody`
  BODY: 'body', // request-body bytes (transferred)
  FINISH: 'finish', // the request body is complete
  CONSUMED: 'consumed', // the guest read `n` more response bytes; emptied buffers come back
  ABORT: 'abort', // the guest dropped the exchange: destroy its connection
  ABORT_ALL: 'abort-all', // a call ended with exchanges still open: destroy them all
  // worker → caller's thread (`op`): its files (see ../main/background-sync.js, ../main/host-fs.js).
  WRITE_BACK: 'write-back', // start writing `fd`'s new bytes to disk
  WRITE_BACK_SETTLE: 'write-back-settle', // answer SETTLED once no write-back of `fd` is in flight
  FS: 'fs', // run `call(...args)` on libuv's pool; answered with FS_DONE

  // caller's thread → worker (`type`).
  RESPONSE: 'response', // status and raw headers
  DATA: 'data', // response-body bytes (transferred)
  END: 'end', // the response body is complete
  FAIL: 'fail', // a wasi:http error-code: the exchange failed, or with `part: PART.REQUEST` only its request body
  ACK: 'ack', // `n` request bytes are on the socket; their buffers come back
  SETTLED: 'settled', // the answer to WRITE_BACK_SETTLE
  FS_DONE: 'fs-done', // the answer to FS, with Node's error `code` if it failed
});

/** A FAIL's `part`: only the request body failed (the response was already complete). */
export const PART = Object.freeze({ REQUEST: 'request' });

/**
 * The calls a client makes in its worker (a call message's `op`); also the
 * `operation` a SnapshotError and a log record name.
 */
export const OPERATION = Object.freeze({
  HYDRATE: 'hydrate',
  WRITE: 'write',
  CLEAR: 'clear',
  RUN_BINDING_FROM_PAYLOAD: 'runBindingFromPayload',
});

/**
 * What one wake-up carries on the MessagePort: the messages themselves, as
 * one message (each side sends what it has per wake-up, see
 * ../main/outbox.js and ../worker/channel.js).
 */
export function pack(messages) {
  return messages.length === 1 ? messages[0] : { batch: messages };
}

/** Calls `receive` with each message a `pack`ed one holds, in order. */
export function unpack(packed, receive) {
  if (packed.batch) for (const one of packed.batch) receive(one);
  else receive(packed);
}
