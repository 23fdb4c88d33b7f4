// wasi:http/types `fields` (headers and trailers): names and byte values in
// order, repeats kept. The guest builds its request headers with them; the
// host gives it the response's, locked. Checked like wasmtime checks them.
import { Buffer } from 'node:buffer';
import { validateHeaderName, validateHeaderValue } from 'node:http';

// wasmtime's defaults: headers a guest may not set (the host owns the connection).
const FORBIDDEN = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'transfer-encoding', 'upgrade', 'host', 'http2-settings',
]);

export const latin1 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

function checkField(name, value) {
  try {
    validateHeaderName(name);
    if (value !== undefined) validateHeaderValue(name, latin1(value));
  } catch {
    throw { tag: 'invalid-syntax' };
  }
  if (FORBIDDEN.has(name.toLowerCase())) throw { tag: 'forbidden' };
}

/** The declared content-length, when it is one plain number. */
export function declaredLength(fields) {
  const values = fields.get('content-length');
  if (values.length !== 1) return undefined;
  const text = latin1(values[0]).trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

export class Fields {
  #entries; // [name, Uint8Array][]
  #locked;

  /** The guest's constructor takes no arguments; the host passes received headers, locked. */
  constructor(entries = [], locked = false) {
    this.#entries = entries;
    this.#locked = locked;
  }

  static fromList(entries) {
    for (const [name, value] of entries) checkField(name, value);
    return new Fields(entries.map(([n, v]) => [n, v]));
  }

  #mutable() {
    if (this.#locked) throw { tag: 'immutable' };
  }

  get(name) {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
  }

  has(name) {
    return this.get(name).length > 0;
  }

  set(name, values) {
    this.#mutable();
    checkField(name);
    for (const v of values) checkField(name, v);
    this.delete(name);
    for (const v of values) this.#entries.push([name, v]);
  }

  delete(name) {
    this.#mutable();
    checkField(name);
    const key = name.toLowerCase();
    this.#entries = this.#entries.filter(([n]) => n.toLowerCase() !== key);
  }

  append(name, value) {
    this.#mutable();
    checkField(name, value);
    this.#entries.push([name, value]);
  }

  entries() {
    return this.#entries.map(([n, v]) => [n, v]);
  }

  clone() {
    return new Fields(this.entries());
  }
}
