// Where the worker makes the file calls that wait for the disk (fsync,
// fdatasync, rename): right here (`direct`), or on the client's thread's
// libuv pool while it waits (`pool`, see ../main/host-fs.js). Which is faster
// depends on the machine at the time, so each is timed and the faster one
// used. On a quiet machine `direct` wins by the cost of the round trip
// between the threads; while other processes keep the cores and the disk
// busy, the same calls made from a JavaScript thread took several times
// longer than from the pool (bench/README.md, "Warm calls"). The other path
// is tried again every EXPLORE calls, so a change of conditions is noticed.

const EXPLORE = 8;
const WEIGHT = 0.25; // of the newest time in each path's running average

export class DiskPath {
  #average = { direct: null, pool: null };
  #calls = 0;

  /** The path for the next call. */
  pick() {
    this.#calls += 1;
    const { direct, pool } = this.#average;
    if (direct === null) return 'direct';
    if (pool === null) return 'pool';
    const best = pool < direct ? 'pool' : 'direct';
    if (this.#calls % EXPLORE !== 0) return best;
    return best === 'pool' ? 'direct' : 'pool';
  }

  /** How long a call took on `path` (ms). */
  record(path, ms) {
    const avg = this.#average[path];
    this.#average[path] = avg === null ? ms : avg + WEIGHT * (ms - avg);
  }
}
