// wasi:http/outgoing-handler: checks a request and hands it to the exchange,
// which sends it to the thread that performs it. The authority allow-list is
// applied here, before anything leaves this thread, so a refused authority
// never sees a connection.
import { latin1 } from './fields.js';
import { REQUEST_PARTS } from './http-types.js';

const DEFAULT_PORT = { http: 80, https: 443 };
/** wasmtime's default when a request option is not set. */
const DEFAULT_TIMEOUT_NS = 600_000_000_000n;

/** `host:port` → [lower-case host, port or undefined]; brackets stay on an IPv6 host. */
export function splitAuthority(authority) {
  const i = authority.lastIndexOf(':');
  if (i < 0 || authority.endsWith(']')) return [authority.toLowerCase(), undefined];
  return [authority.slice(0, i).toLowerCase(), Number(authority.slice(i + 1))];
}

/** Whole milliseconds, rounded up (a timeout of under 1 ms must not become no wait at all). */
const ms = (ns) => Number(((ns ?? DEFAULT_TIMEOUT_NS) + 999_999n) / 1_000_000n);

/**
 * `allowedAuthorities`: "host" or "host:port" entries, or undefined for no
 * restriction (an entry without a port means the scheme's default port).
 */
export function createOutgoingHandler(FutureIncomingResponse, allowedAuthorities) {
  const allowed = allowedAuthorities?.map(splitAuthority);

  function permitted(scheme, host, port) {
    const effective = port ?? DEFAULT_PORT[scheme];
    return allowed.some(([h, p]) => h === host && (p ?? DEFAULT_PORT[scheme]) === effective);
  }

  return {
    handle(request, options) {
      const { method, scheme, authority, path, headers, exchange } = request[REQUEST_PARTS]();
      // The guest always sets a scheme; https is the WASI default when it does not.
      const name = scheme === undefined ? 'https' : scheme.tag.toLowerCase();
      if (name !== 'http' && name !== 'https') throw { tag: 'HTTP-protocol-error' };
      if (!authority) throw { tag: 'HTTP-request-URI-invalid' };
      const [host, port] = splitAuthority(authority);
      if (allowed && !permitted(name, host, port)) throw { tag: 'HTTP-request-denied' };
      exchange.start({
        method: method.tag === 'other' ? method.val : method.tag.toUpperCase(),
        scheme: name,
        host: host.startsWith('[') ? host.slice(1, -1) : host,
        port: port ?? DEFAULT_PORT[name],
        path: path || '/',
        headers: headers.map(([n, v]) => [n, latin1(v)]),
        connectMs: ms(options?.connectTimeout()),
        firstByteMs: ms(options?.firstByteTimeout()),
        betweenBytesMs: ms(options?.betweenBytesTimeout()),
      });
      return new FutureIncomingResponse(exchange);
    },
  };
}
