// Buffers that cross between the client's thread and its worker and come
// back for reuse (transferred both ways, never copied), so a long transfer
// reuses a few buffers instead of leaving a trail of garbage that V8 frees
// only after tens of MiB: the process's RSS would grow with the snapshot.

/** A pool of `size`-byte ArrayBuffers keeping at most `max` for reuse. */
export class BufferPool {
  #size;
  #max;
  #free = [];

  constructor(size, max) {
    this.#size = size;
    this.#max = max;
  }

  /** A buffer to fill: a returned one when there is one. */
  take() {
    return this.#free.pop() ?? new ArrayBuffer(this.#size);
  }

  /** Buffers back from the other thread; any of another size (or too many) are left to GC. */
  give(buffers) {
    for (const b of buffers ?? []) {
      if (b.byteLength === this.#size && this.#free.length < this.#max) this.#free.push(b);
    }
  }
}
