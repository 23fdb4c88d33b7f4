// @lobu/transcript-snapshot: the transcript-snapshot WebAssembly component on
// Node >= 20 and Bun. SnapshotClient is the full API (client.js); the three
// functions named as in @lobu/worker's client are drop-ins for it (drop-in.js).
export { SnapshotClient, SnapshotError } from './client.js';
export { clearSnapshots, hydrateFromSnapshot, writeSnapshot } from './drop-in.js';
