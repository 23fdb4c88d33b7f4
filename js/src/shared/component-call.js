// One call of the component's exports, answered as the client expects: the
// worker (../worker/worker.js) and the caller-thread engine
// (../caller/engine.js) both make their calls through it.
import {
  fromClear, fromError, fromFailure, fromHydrate, fromRunBinding, fromWrite,
} from './convert.js';
import { OPERATION } from './protocol.js';

/** Each operation's export and the conversion of what it returns. */
const EXPORTS = {
  [OPERATION.HYDRATE]: ['hydrate', fromHydrate],
  [OPERATION.WRITE]: ['write', fromWrite],
  [OPERATION.CLEAR]: ['clear', fromClear],
  [OPERATION.RUN_BINDING_FROM_PAYLOAD]: ['runBindingFromPayload', fromRunBinding],
};

// hydrate fails with a `failure` record (error + attempts), run-binding-from-payload
// with a bare `error` (it sends nothing); both reach the caller as { error, attempts }.
const FAILURE = {
  [OPERATION.HYDRATE]: fromFailure,
  [OPERATION.RUN_BINDING_FROM_PAYLOAD]: (e) => ({ error: fromError(e), attempts: 0 }),
};

function isComponentError(e) {
  return e instanceof Error && e.constructor?.name === 'ComponentError' && Object.hasOwn(e, 'payload');
}

/**
 * Calls `op` on `api` (the instance's exports; synchronous or, in the
 * caller-thread mode, returning promises): `{ id, ok }`, or `{ id, err }`
 * for the WIT's typed error. Anything else (a trap) is thrown.
 */
export async function callComponent(api, id, op, args) {
  const [name, convert] = EXPORTS[op];
  try {
    return { id, ok: convert(await api[name](...args)) };
  } catch (e) {
    if (!isComponentError(e)) throw e;
    return { id, err: FAILURE[op](e.payload) };
  }
}
