// A small polyfill of JSPI (WebAssembly.Suspending / WebAssembly.promising)
// over binaryen's Asyncify, for runtimes without JSPI (Node 20, Bun). The
// caller-thread bindings (generated/caller/, see ../../scripts/build.mjs) take
// the JSPI API as an argument; `jspiFor()` gives one per component instance:
// the native one when the runtime has it, else this polyfill, whose
// `instantiateCore` hook learns the instance's asyncify exports.
//
// How a suspension goes: an import wrapped in `Suspending` returns a promise;
// the wrapper starts an unwind (the asyncified guest returns all the way out,
// saving its locals in a buffer of guest memory) and `promising`'s loop, where
// the export returned, awaits the promise, then starts a rewind and calls the
// export again: the guest rebuilds its stack up to the import, which this time
// returns the promise's value. Only the main core module is asyncified; the
// small shim modules jco adds in between only forward calls.

/** Bytes of guest memory for the saved stack (the guest's waits are shallow). */
const DATA_BYTES = 64 << 10;
const UNWINDING = 1;
const REWINDING = 2;

/** The JSPI API for one component instance, and the `instantiateCore` to use with it. */
export function jspiFor() {
  if (typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function') {
    return { jspi: WebAssembly, instantiateCore: WebAssembly.instantiate };
  }
  let asyncify = null; // the main instance's exports, once instantiated
  let data = 0; // address of the asyncify data header in guest memory
  let memory = null;
  let pending = null; // the promise an unwinding import returned
  let resumed = null; // { value } or { error } for the import being rewound

  class Suspending {
    constructor(fn) {
      if (typeof fn !== 'function') throw new TypeError('WebAssembly.Suspending: not a function');
      this.fn = fn;
    }
  }

  function suspendingImport(fn) {
    return function suspending(...args) {
      if (asyncify !== null && asyncify.asyncify_get_state() === REWINDING) {
        asyncify.asyncify_stop_rewind();
        const r = resumed;
        resumed = null;
        if ('error' in r) throw r.error;
        return r.value;
      }
      const result = fn.apply(this, args);
      if (asyncify === null || typeof result?.then !== 'function') return result;
      pending = result;
      const view = new DataView(memory.buffer);
      view.setInt32(data, data + 8, true); // where the saved stack starts
      view.setInt32(data + 4, data + 8 + DATA_BYTES, true); // and must end
      asyncify.asyncify_start_unwind(data);
      return undefined; // ignored: the guest is unwinding
    };
  }

  function promising(exported) {
    return async function promised(...args) {
      let result = exported(...args);
      while (asyncify.asyncify_get_state() === UNWINDING) {
        asyncify.asyncify_stop_unwind();
        const promise = pending;
        pending = null;
        try {
          resumed = { value: await promise };
        } catch (error) {
          resumed = { error };
        }
        asyncify.asyncify_start_rewind(data);
        result = exported(...args);
      }
      return result;
    };
  }

  async function instantiateCore(module, imports) {
    const wrapped = {};
    for (const [name, fields] of Object.entries(imports ?? {})) {
      const out = {};
      for (const [field, value] of Object.entries(fields)) {
        out[field] = value instanceof Suspending ? suspendingImport(value.fn) : value;
      }
      wrapped[name] = out;
    }
    const instance = await WebAssembly.instantiate(module, wrapped);
    const ex = instance.exports;
    if (typeof ex.asyncify_start_unwind === 'function') {
      asyncify = ex;
      memory = ex.memory;
      data = ex.cabi_realloc(0, 0, 16, DATA_BYTES + 8);
    }
    return instance;
  }

  return { jspi: { Suspending, promising }, instantiateCore };
}
