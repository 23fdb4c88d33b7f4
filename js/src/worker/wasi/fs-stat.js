// wasi:filesystem's descriptor-type and descriptor-stat, from node:fs Stats
// (or Dirents, for the type). Stats must be bigint ones (nanosecond times).

/** The descriptor-type of `st`. */
export function fileType(st) {
  if (st.isFile()) return 'regular-file';
  if (st.isSocket()) return 'socket';
  if (st.isSymbolicLink()) return 'symbolic-link';
  if (st.isFIFO()) return 'fifo';
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const NS = 1_000_000_000n;
const datetime = (ns) => ({ seconds: ns / NS, nanoseconds: Number(ns % NS) });

/** `st` as a descriptor-stat. */
export const statOf = (st) => ({
  type: fileType(st),
  linkCount: st.nlink,
  size: st.size,
  dataAccessTimestamp: datetime(st.atimeNs),
  dataModificationTimestamp: datetime(st.mtimeNs),
  statusChangeTimestamp: datetime(st.ctimeNs),
});
