// Conversions between the plain objects of the public API and the values jco's
// bindings take and return (tagged unions `{ tag, val }`, BigInt for u64).
// Pure functions, shared by the caller's thread (inputs, descriptions) and the
// worker (outputs).

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const STATUSES = new Set(['completed', 'failed', 'timeout', 'cancelled']);

/** A u64 as a Number when that is exact, else as the BigInt it came as. */
export function u64(v) {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** An `option<u64>` (jco: undefined for `none`) as the API shows it: null for `none`. */
const optionU64 = (v) => (v === undefined ? null : u64(v));

function toU64(name, v) {
  // Accept integral numbers and bigints only: a silently rounded limit or run id
  // would be worse than an early TypeError.
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v <= U64_MAX) return v;
  throw new TypeError(`${name} must be a non-negative integer (number or bigint)`);
}

function toU32(name, v) {
  if (Number.isInteger(v) && v >= 0 && v <= U32_MAX) return v;
  throw new TypeError(`${name} must be an integer from 0 to ${U32_MAX}`);
}

function toBool(name, v) {
  // Strict: a truthy string such as "false" must not silently mean true.
  if (typeof v === 'boolean') return v;
  throw new TypeError(`${name} must be a boolean`);
}

const U32_OPTIONS = [
  'timeoutMs', 'connectTimeoutMs', 'firstByteTimeoutMs', 'betweenBytesTimeoutMs',
  'maxAttempts', 'retryBaseMs', 'retryCapMs',
];
const U64_OPTIONS = ['maxWriteBytes', 'maxHydrateBytes'];
const BOOL_OPTIONS = ['useValidators'];

/** Public options → jco `Options`. Unknown keys are rejected so a typo is not silently ignored. */
export function toOptions(options) {
  if (options == null) return {};
  if (typeof options !== 'object') throw new TypeError('options must be an object');
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value == null) continue; // `undefined`/`null` mean "use the default", as `none` does
    if (U32_OPTIONS.includes(key)) out[key] = toU32(`options.${key}`, value);
    else if (U64_OPTIONS.includes(key)) out[key] = toU64(`options.${key}`, value);
    else if (BOOL_OPTIONS.includes(key)) out[key] = toBool(`options.${key}`, value);
    else throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  return out;
}

export function toGateway(gateway) {
  if (gateway == null || typeof gateway !== 'object') throw new TypeError('gateway must be { url, token }');
  const { url, token } = gateway;
  if (typeof url !== 'string' || typeof token !== 'string') {
    throw new TypeError('gateway.url and gateway.token must be strings');
  }
  return { url, token };
}

export function toRun(run) {
  if (run == null) return undefined;
  if (typeof run !== 'object' || typeof run.token !== 'string') {
    throw new TypeError('run must be { runId, token } or null');
  }
  return { runId: toU64('run.runId', run.runId), token: run.token };
}

export function toStatus(status) {
  if (!STATUSES.has(status)) throw new TypeError(`status must be one of ${[...STATUSES].join(', ')}`);
  return status;
}

export function toStringArg(name, v) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  return v;
}

/** jco `error` variant → `{ kind, ...payload }`. */
export function fromError({ tag: kind, val }) {
  switch (kind) {
    case 'invalid-input': return { kind, message: val };
    case 'not-preopened': return { kind, path: val };
    case 'http-status': return { kind, status: val };
    case 'transport': return { kind, transport: val.kind, detail: val.detail };
    case 'timeout': return { kind, timeout: val };
    case 'length-mismatch': return { kind, expected: u64(val.expected), received: u64(val.received) };
    case 'too-large': return { kind, size: u64(val.size), limit: u64(val.limit) };
    case 'filesystem': return { kind, operation: val.operation, code: val.code };
    case 'invalid-utf8': return { kind, offset: u64(val) };
    case 'denied':
    case 'file-changed':
    case 'digest-mismatch': return { kind };
    default: throw new TypeError(`unknown error ${kind}`);
  }
}

/** jco `failure` record → `{ error, attempts }`. */
export function fromFailure({ error, attempts }) {
  return { error: fromError(error), attempts };
}

export function fromHydrate({ tag: kind, val }) {
  switch (kind) {
    case 'hydrated': return { kind, bytes: u64(val.bytes), attempts: val.attempts };
    case 'no-snapshot':
    case 'up-to-date': return { kind, attempts: val };
    default: throw new TypeError(`unknown hydrate outcome ${kind}`);
  }
}

export function fromWrite({ tag: kind, val }) {
  switch (kind) {
    case 'stored': return { kind, bytes: u64(val.bytes), status: val.status, attempts: val.attempts };
    case 'duplicate': return { kind, attempts: val };
    case 'diverged': return { kind, latestRunId: optionU64(val.latestRunId), attempts: val.attempts };
    case 'skipped': return { kind, reason: val };
    case 'too-large': return { kind, size: u64(val.size), limit: u64(val.limit) };
    case 'failed': return { kind, ...fromFailure(val) };
    default: throw new TypeError(`unknown write outcome ${kind}`);
  }
}

export function fromClear({ tag: kind, val }) {
  if (kind === 'failed') return { kind, ...fromFailure(val) };
  return {
    kind, status: val.status, deleted: optionU64(val.deleted), attempts: val.attempts,
  };
}

export function fromRunBinding(binding) {
  return binding === undefined ? null : { runId: u64(binding.runId), token: binding.token };
}

/** What stands in for a token in every text: the component writes the same
 * mark, so a reader sees one sign whichever layer removed the secret. */
export const REDACTED = '[redacted]';

/** `text` with `token` replaced by REDACTED. Shorter strings turn up inside
 * ordinary words (a token "t" would garble "timeout"); real tokens are JWTs. */
export function redact(text, token) {
  return token && token.length >= 8 ? text.replaceAll(token, REDACTED) : text;
}

const TIMEOUT = {
  connect: 'connecting',
  'first-byte': 'waiting for the response',
  'between-bytes': 'waiting for more of the body',
  deadline: 'overall deadline',
};

const TRANSPORT = {
  dns: 'DNS lookup failed',
  'connection-refused': 'connection refused',
  'connection-reset': 'connection reset',
  tls: 'TLS failed',
  protocol: 'HTTP protocol error',
  other: 'transport error',
};

/** One line describing an error, for `SnapshotError.message` and log records:
 * the Rust and Python hosts' words exactly (host-tests/cases/descriptions.json
 * pins them). Built only from the error's fields, which the component
 * guarantees never carry the token. */
export function describeError(e) {
  switch (e.kind) {
    case 'invalid-input': return `invalid input: ${e.message}`;
    case 'not-preopened': return `${e.path} is under no preopened directory`;
    case 'http-status': return `gateway answered HTTP ${e.status}`;
    case 'denied': return 'the host refused to send the request';
    case 'transport': return `${TRANSPORT[e.transport] ?? e.transport} (${e.detail})`;
    case 'timeout': return `timed out (${TIMEOUT[e.timeout] ?? e.timeout})`;
    case 'length-mismatch': return `body of ${e.received} bytes does not match its content-length of ${e.expected}`;
    case 'too-large': return `snapshot of ${e.size} bytes is over the limit of ${e.limit}`;
    case 'filesystem': return `could not ${e.operation} (${e.code})`;
    case 'invalid-utf8': return `session file is not UTF-8 (first bad byte at offset ${e.offset})`;
    case 'file-changed': return 'session file changed while it was being sent; nothing stored';
    case 'digest-mismatch': return 'snapshot body does not match the digest the gateway sent; session file kept';
    default: return e.kind;
  }
}

/** What follows a failure's description when it was retried: the Rust host's
 * words (host/src/display.rs, `DescribeFailure`), as the Python host's. */
export function afterAttempts(attempts) {
  return attempts > 1 ? ` after ${attempts} attempts` : '';
}

/** One line for the outcomes a log record's fields do not explain on their own
 * (the run that diverged is in no field); undefined for the others. */
export function describeOutcome(o) {
  switch (o.kind) {
    case 'up-to-date': return 'session file already holds the latest snapshot (HTTP 304)';
    case 'diverged': return o.latestRunId === null
      ? 'not stored: another snapshot is the latest since this file\'s version (HTTP 412)'
      : `not stored: run ${o.latestRunId} stored a newer snapshot since this file's version (HTTP 412)`;
    case 'skipped': return o.reason;
    default: return undefined;
  }
}
