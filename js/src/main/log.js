// One structured record per hydrate, write or clear, for a pino-shaped logger
// (`logger.info(fields, message)`; console has the same shape). Every field
// comes from the outcome or from describeError, which the component
// guarantees never carry the token; an error that did not come from the
// component (misuse, a closed client) is redacted here all the same.
import { describeError, redact } from '../shared/convert.js';

/** The status a successful outcome implies when it does not carry one (see src/classify.rs). */
const IMPLIED_STATUS = {
  hydrated: 200, 'no-snapshot': 404, 'up-to-date': 304, duplicate: 409, diverged: 412,
};
// diverged: another pod continued the conversation and this run's snapshot
// was not stored, which an operator wants to see.
const WARN = new Set(['failed', 'too-large', 'diverged']);

/** A logger option as given: null/undefined for none, else an object with info and warn methods. */
export function checkLogger(logger) {
  if (logger == null) return null;
  if (typeof logger?.info !== 'function' || typeof logger?.warn !== 'function') {
    throw new TypeError('logger must have info and warn methods (pino, console, …)');
  }
  return logger;
}

const number = (v) => (typeof v === 'bigint' ? Number(v) : v); // JSON-safe for every logger

/** The record of a call that resolved with `outcome`, or failed with a WIT `error` (`{ error, attempts }`). */
export function outcomeFields(operation, outcome, durationMs) {
  const fields = { operation, outcome: outcome.kind };
  // The size refused, for a write's too-large outcome or a hydrate's too-large error.
  const bytes = outcome.kind === 'too-large' ? outcome.size : (outcome.bytes ?? outcome.error?.size);
  if (bytes !== undefined) fields.bytes = number(bytes);
  fields.attempts = outcome.attempts ?? 0; // skipped and too-large send nothing
  const status = outcome.status ?? (outcome.error?.kind === 'http-status' ? outcome.error.status : IMPLIED_STATUS[outcome.kind]);
  if (status !== undefined) fields.status = status;
  fields.duration_ms = Math.round(durationMs * 100) / 100;
  if (outcome.error) fields.error = describeError(outcome.error);
  return fields;
}

/** The record of a call that threw before or around the component (bad argument, closed client). */
export function thrownFields(operation, e, durationMs, token) {
  // A second line of defence (the messages built here never quote a token).
  const error = redact(String(e?.message ?? e), token);
  return { operation, outcome: 'failed', attempts: 0, duration_ms: Math.round(durationMs * 100) / 100, error };
}

/** Emits one record: info for a success, warn for a failure, a file too large to send or a diverged write. */
export function emit(logger, fields, detail) {
  if (!logger) return;
  const level = WARN.has(fields.outcome) ? 'warn' : 'info';
  const message = `transcript-snapshot ${fields.operation}: ${fields.outcome}${detail ? ` (${detail})` : ''}`;
  try {
    logger[level](fields, message);
  } catch {
    // A logger that throws must not turn a finished call into a failure.
  }
}
