// wasi:io/streams and wasi:io/error, for HTTP bodies only (the component
// reads and writes files with descriptor.read/write, never through streams).
// The streams are thin: the state they read and write is an exchange's
// (exchange.js), held in this thread, so a read or a check-write costs no
// round trip; only waiting does (a pollable, see poll.js).

/** `{ tag: 'closed' }`: the stream-error for a stream that has ended. */
export const closed = () => ({ tag: 'closed' });

/** Returns the stream classes, the error class and their helpers, bound to `channel`. */
export function createStreams(channel, pollable) {
  /** wasi:io/error `error`: a failure, with the wasi:http error-code behind it. */
  class IoError {
    #code;

    /** Host-side only. `code` is a wasi:http error-code. */
    constructor(code) {
      this.#code = code;
    }

    toDebugString() {
      return this.#code.val === undefined ? this.#code.tag : `${this.#code.tag}: ${String(this.#code.val)}`;
    }

    /** What `wasi:http/types.http-error-code` answers for `e`. */
    static httpErrorCode(e) {
      return #code in e ? e.#code : undefined;
    }
  }

  /** The stream-error `last-operation-failed` carrying `code`. */
  const failed = (code) => ({ tag: 'last-operation-failed', val: new IoError(code) });

  const limit = (len) => (len > 0x7fffffffn ? 0x7fffffff : Number(len));

  /** A response body. `body` is its exchange; `onDrop` runs when the guest drops it. */
  class InputStream {
    #body;
    #onDrop;

    constructor(body, onDrop) {
      this.#body = body;
      this.#onDrop = onDrop;
    }

    read(len) {
      return this.#body.read(limit(len));
    }

    blockingRead(len) {
      channel.waitFor(() => this.#body.readReady());
      return this.#body.read(limit(len));
    }

    skip(len) {
      return BigInt(this.read(len).byteLength);
    }

    blockingSkip(len) {
      return BigInt(this.blockingRead(len).byteLength);
    }

    subscribe() {
      return pollable(() => this.#body.readReady());
    }

    [Symbol.dispose]() {
      this.#onDrop();
    }
  }

  /** A request body. `body` is its exchange. */
  class OutputStream {
    #body;

    constructor(body) {
      this.#body = body;
    }

    checkWrite() {
      return BigInt(this.#body.capacity());
    }

    write(contents) {
      this.#body.write(contents);
    }

    flush() {
      this.#body.flush();
    }

    blockingFlush() {
      this.#body.flush();
      channel.waitFor(() => this.#body.writeReady());
      this.#body.capacity(); // reports a failure met while flushing
    }

    blockingWriteAndFlush(contents) {
      channel.waitFor(() => this.#body.writeReady());
      this.#body.write(contents);
      this.blockingFlush();
    }

    writeZeroes(len) {
      this.#body.write(new Uint8Array(limit(len)));
    }

    blockingWriteZeroesAndFlush(len) {
      this.blockingWriteAndFlush(new Uint8Array(limit(len)));
    }

    splice() {
      throw new Error('wasi:io/streams: splice is not supported by this host');
    }

    blockingSplice() {
      throw new Error('wasi:io/streams: splice is not supported by this host');
    }

    subscribe() {
      return pollable(() => this.#body.writeReady());
    }
  }

  return { IoError, InputStream, OutputStream, failed };
}
