// Node's network errors as wasi:http error-codes, as wasmtime and the shim
// report them, so the component classifies a failure the same on every host.
// Messages are Node's own (they name codes and addresses, never headers).

const TERMINATED = new Set([
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);
/**
 * Errors of a request sent on a kept-alive connection that the server had
 * already closed (the race every connection pool has): a request with no
 * body is then sent again once, on a fresh connection.
 */
export const STALE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'EAI_SERVICE', 'EADDRNOTAVAIL']);
const CERTIFICATE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|INVALID_PURPOSE)/;

/** The error that says what happened: Happy Eyeballs wraps per-address errors in an AggregateError. */
function rootCause(e) {
  if (e?.code === undefined && Array.isArray(e?.errors) && e.errors.length > 0) return rootCause(e.errors[0]);
  if (e?.code === undefined && e?.cause) return rootCause(e.cause);
  return e;
}

/** The wasi:http `error-code` for an error Node raised on a request or response. */
export function networkErrorCode(error) {
  const e = rootCause(error);
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code === 'ECONNREFUSED') return { tag: 'connection-refused' };
  if (TERMINATED.has(code)) return { tag: 'connection-terminated' };
  if (DNS.has(code)) {
    const infoCode = Number.isInteger(e.errno) ? Math.abs(e.errno) & 0xffff : undefined;
    return { tag: 'DNS-error', val: { rcode: code, infoCode } };
  }
  if (code === 'ETIMEDOUT') return { tag: 'connection-timeout' };
  if (code === 'EHOSTUNREACH') return { tag: 'destination-unavailable' };
  if (code === 'ENETUNREACH') return { tag: 'destination-IP-unroutable' };
  if (code === 'HPE_HEADER_OVERFLOW') return { tag: 'HTTP-response-header-section-size', val: undefined };
  if (code.startsWith('HPE_')) return { tag: 'HTTP-protocol-error' };
  if (CERTIFICATE.test(code)) return { tag: 'TLS-certificate-error' };
  if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
    return { tag: 'TLS-alert-received', val: { alertId: undefined, alertMessage: String(e.message) } };
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return { tag: 'TLS-protocol-error' };
  return { tag: 'internal-error', val: String(e?.message ?? e) };
}
