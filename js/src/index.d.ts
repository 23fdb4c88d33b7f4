// Types for @lobu/transcript-snapshot. They mirror wit/snapshot.wit: a WIT
// variant is an object with a `kind` (the case name) and its payload's fields;
// u64 values are numbers, or bigints in the rare case they exceed 2^53 - 1.

/** A u64 that may come from the gateway (a `content-length`) or from a limit you set. */
export type U64 = number | bigint;

/** How many requests a call sent, the first included (0: it failed before sending). */
export type Attempts = number;

export interface Gateway {
  /** `http(s)://host[:port][/prefix]`; calls go to `{url}/worker/transcript/snapshot`. */
  url: string;
  /** Bearer token. Never parsed, never echoed in errors. */
  token: string;
}

export interface RunBinding {
  /** The run's id (`runId` in the job payload), a positive integer. */
  runId: number | bigint;
  /** The per-run token (`runJobToken` in the job payload). */
  token: string;
}

export type TerminalStatus = 'completed' | 'failed' | 'timeout' | 'cancelled';

/** Per-call overrides; omitted or `undefined` means the component's default. */
export interface Options {
  /** Overall deadline for the call (default 30000 for hydrate/clear, 60000 for write). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  firstByteTimeoutMs?: number;
  betweenBytesTimeoutMs?: number;
  /** Largest session file `write` sends (default 4 MiB). */
  maxWriteBytes?: number | bigint;
  /** Largest snapshot `hydrate` accepts (default 64 MiB). */
  maxHydrateBytes?: number | bigint;
  /** Attempts at most, the first included (default 3; 1 turns retries off). */
  maxAttempts?: number;
  /** Backoff base in ms (default 200). */
  retryBaseMs?: number;
  /** Longest wait between attempts in ms (default 5000). */
  retryCapMs?: number;
  /**
   * Send and remember snapshot versions (default true): `if-none-match` on
   * hydrate, `if-match` on write, kept in a `.<name>.snapshot-version` sidecar
   * beside the session file. `false` sends none, and a call that replaces or
   * stores the file removes its sidecar.
   */
  useValidators?: boolean;
}

export type TimeoutKind = 'connect' | 'first-byte' | 'between-bytes' | 'deadline';
export type TransportKind = 'dns' | 'connection-refused' | 'connection-reset' | 'tls' | 'protocol' | 'other';

/** The WIT `error` variant. */
export type SnapshotErrorInfo =
  | { kind: 'invalid-input'; message: string }
  | { kind: 'not-preopened'; path: string }
  | { kind: 'http-status'; status: number }
  | { kind: 'denied' }
  | { kind: 'transport'; transport: TransportKind; detail: string }
  | { kind: 'timeout'; timeout: TimeoutKind }
  | { kind: 'length-mismatch'; expected: U64; received: U64 }
  | { kind: 'too-large'; size: U64; limit: U64 }
  | { kind: 'filesystem'; operation: string; code: string }
  | { kind: 'invalid-utf8'; offset: number }
  | { kind: 'file-changed' }
  /** Hydrate: the body's SHA-256 differs from the `repr-digest`/`content-digest` the gateway sent; the session file was kept. */
  | { kind: 'digest-mismatch' };

export type HydrateOutcome =
  | { kind: 'hydrated'; bytes: number; attempts: Attempts }
  | { kind: 'no-snapshot'; attempts: Attempts }
  /** The gateway answered `if-none-match` with 304: the session file already holds its latest snapshot; nothing was written. */
  | { kind: 'up-to-date'; attempts: Attempts };

export type SkipReason = 'not-completed' | 'no-run-binding' | 'session-file-missing' | 'session-file-empty';

export type WriteOutcome =
  | { kind: 'stored'; bytes: number; status: number; attempts: Attempts }
  | { kind: 'duplicate'; attempts: Attempts }
  /**
   * The gateway answered `if-match` with 412: another pod stored a newer
   * snapshot since the version this file was hydrated from (or last stored
   * as). Nothing was stored and the file was not touched. `latestRunId` is
   * the run whose snapshot is now the latest, when the gateway named it.
   */
  | { kind: 'diverged'; latestRunId: number | bigint | null; attempts: Attempts }
  | { kind: 'skipped'; reason: SkipReason }
  | { kind: 'too-large'; size: U64; limit: U64 }
  | { kind: 'failed'; error: SnapshotErrorInfo; attempts: Attempts };

export type ClearOutcome =
  | { kind: 'cleared'; status: number; deleted: number | null; attempts: Attempts }
  | { kind: 'failed'; error: SnapshotErrorInfo; attempts: Attempts };

/** A `hydrate` or `runBindingFromPayload` that failed with a WIT error. */
export class SnapshotError extends Error {
  readonly name: 'SnapshotError';
  readonly operation: 'hydrate' | 'runBindingFromPayload';
  readonly error: SnapshotErrorInfo;
  readonly attempts: Attempts;
}

/**
 * A pino-shaped logger (console works too): each hydrate, write and clear
 * logs one record as `logger.info(fields, message)`, or `logger.warn` for
 * `failed`, `too-large` and `diverged`. The message is `transcript-snapshot <operation>: <outcome>`
 * (a skipped write adds the reason in parentheses, an up-to-date hydrate or a
 * diverged write a description). No record holds the token.
 */
export interface Logger {
  info(fields: LogRecord, message: string): unknown;
  warn(fields: LogRecord, message: string): unknown;
  error?(...args: unknown[]): unknown;
  debug?(...args: unknown[]): unknown;
}

/** The fields of one log record. */
export interface LogRecord {
  operation: 'hydrate' | 'write' | 'clear';
  outcome: 'hydrated' | 'no-snapshot' | 'up-to-date' | 'stored' | 'duplicate' | 'diverged' | 'skipped' | 'too-large' | 'cleared' | 'failed';
  /** Bytes hydrated or stored; the size refused, for a write's too-large outcome or a hydrate's too-large error. Absent otherwise. */
  bytes?: number;
  /** Requests sent (0 when nothing was sent). */
  attempts: number;
  /** The gateway's HTTP status, when there was one (hydrated 200, up-to-date 304, no-snapshot 404, duplicate 409, diverged 412, …). */
  status?: number;
  /** Wall time of the call, in milliseconds. */
  duration_ms: number;
  /** On failure: what went wrong, as in `SnapshotError.message` without the operation. */
  error?: string;
}

export interface OpenOptions {
  /** Guest path → host directory. Only these directories are visible to the component. */
  preopens?: Record<string, string>;
  /** `host` or `host:port` entries; requests to any other authority fail as `denied`. Default: no restriction. */
  allowedAuthorities?: string[];
  /** Where each call's record goes; none by default. */
  logger?: Logger;
  /**
   * `'worker'` (the default on Node): the component runs in a worker thread of its own.
   * `'caller'` (the default on Bun): it runs on the calling thread and is suspended while it
   * waits (JSPI, or an Asyncify polyfill of it); no worker, no messages between threads. The
   * environment variable `TRANSCRIPT_SNAPSHOT_THREAD` sets the default (also for the drop-ins).
   */
  thread?: 'worker' | 'caller';
}

/** One sandboxed component instance (in a worker thread, or on the caller's: see `thread`). Calls on one client run one at a time. */
export class SnapshotClient {
  private constructor();
  static open(options?: OpenOptions): Promise<SnapshotClient>;
  /** Rejects with `SnapshotError` when the snapshot could not be pulled; the session file is then untouched. */
  hydrate(gateway: Gateway, sessionFile: string, options?: Options): Promise<HydrateOutcome>;
  /** Resolves with an outcome for every gateway or file problem; rejects only on misuse or a closed client. */
  write(gatewayUrl: string, run: RunBinding | null | undefined, sessionFile: string, status: TerminalStatus, options?: Options): Promise<WriteOutcome>;
  clear(gateway: Gateway, options?: Options): Promise<ClearOutcome>;
  /** `{ runId, token }` from a job payload's `runId` / `runJobToken`, or null. Rejects with `SnapshotError` on malformed JSON. */
  runBindingFromPayload(payloadJson: string): Promise<{ runId: number; token: string } | null>;
  /** Stops the component instance (and its worker, if any); calls in flight reject. Idempotent. */
  close(): Promise<void>;
}

// ---- Drop-ins for @lobu/worker's transcript-snapshot client ---------------------
// Same names, option names and results; paths are host paths. They share one
// lazily started component instance, so calls run one at a time.

export interface TranscriptSnapshotOptions {
  /** Host path of the session.jsonl; its directory is the only one the component sees. */
  sessionFile: string;
  /** Gateway base URL, e.g. `http://127.0.0.1:8787/lobu`. */
  gatewayUrl: string;
  /** Bearer token (the worker JWT). */
  workerToken: string;
  /** Where the call's one record goes (pino, console, …); none by default. */
  logger?: Logger;
  /** The component's limits, timeouts and retries (defaults as the reference: 30 s hydrate/clear, 60 s write). */
  options?: Options;
}

/**
 * Pulls the latest completed snapshot into `sessionFile`, creating its
 * directory. `true` when the file holds it (hydrated, or already up to date),
 * `false` when there is none (nothing touched).
 * Rejects with `SnapshotError` (message `transcript hydrate failed: …`); the old file is intact.
 */
export function hydrateFromSnapshot(opts: TranscriptSnapshotOptions): Promise<boolean>;

/**
 * Sends `sessionFile` as run `runId`'s snapshot, with `workerToken` (the
 * per-run token) as bearer, when `terminalStatus` is `completed` and the file
 * is non-empty. Without a token or run id nothing is sent. Never rejects, not
 * even when diverged (another pod stored a newer snapshot): that is logged at warn.
 */
export function writeSnapshot(
  opts: Omit<TranscriptSnapshotOptions, 'workerToken'> & {
    workerToken?: string;
    terminalStatus: TerminalStatus;
    runId?: number | bigint;
  },
): Promise<void>;

/** Deletes every snapshot of the worker's conversation. Best effort: never rejects. */
export function clearSnapshots(
  opts: Pick<TranscriptSnapshotOptions, 'gatewayUrl' | 'workerToken' | 'logger' | 'options'>,
): Promise<void>;
