// @lobu/transcript-snapshot: the transcript-snapshot WebAssembly component on
// Node >= 20 and Bun. SnapshotClient is the full API (main/client.js); the
// three functions named as in @lobu/worker's client are drop-ins for it
// (main/drop-in.js). main/ runs on the caller's thread, worker/ in the
// worker thread that runs the component, shared/ is imported by both.
export { SnapshotClient, SnapshotError } from './main/client.js';
export { clearSnapshots, hydrateFromSnapshot, writeSnapshot } from './main/drop-in.js';
