// Edits to jco's generated bindings, applied by build.mjs right after
// `jco transpile`. Each one must match exactly once: a jco upgrade that
// changes the code it targets fails the build here instead of silently
// losing the edit.
//
// Why: for every `list<u8>` the component passes to an import, jco copies
// the bytes out of guest memory into a fresh ArrayBuffer. For the two
// imports that carry the snapshot (descriptor.write for a hydrate, an HTTP
// body's output-stream.write for a write) that is 64 MiB of new, page-faulted
// memory per 64 MiB call, which V8 frees only after tens of MiB: time, and
// RSS that grows with the snapshot. Both of our implementations use the
// bytes before they return (fs.writeSync; a copy into a recycled buffer in
// src/worker/wasi/exchange.js), and no guest code runs during an import call, so a view
// of guest memory is enough.
import { readFileSync, writeFileSync } from 'node:fs';

const liftAsView = (name, call) => ({
  what: `${name}: list<u8> lifted as a view of guest memory`,
  find: new RegExp(
    String.raw`(var (result\d+) = )new Uint8Array\(memory0\.buffer\.slice\((ptr\d+), \3 \+ (len\d+) \* 1\)\);`
      + String.raw`(\s*let ret;\s*try \{\s*ret = \{ tag: 'ok', val: rsc0\.write\(\2` + call + String.raw`\)\};)`,
    'g',
  ),
  replace: '$1new Uint8Array(memory0.buffer, $3, $4); // patched: see js/scripts/patch-generated.mjs$5',
});

const PATCHES = [
  liftAsView('output-stream.write', ''),
  liftAsView('descriptor.write', String.raw`, BigInt\.asUintN\(64, arg3\)`),
];

/** Applies every patch to the bindings file at `path`; throws unless each matched once. */
export function patchGenerated(path) {
  let source = readFileSync(path, 'utf8');
  for (const { what, find, replace } of PATCHES) {
    const matches = source.match(find)?.length ?? 0;
    if (matches !== 1) {
      throw new Error(`patch "${what}" matched ${matches} times in ${path} (expected once): was jco upgraded?`);
    }
    source = source.replace(find, replace);
  }
  writeFileSync(path, source);
  return PATCHES.map((p) => p.what);
}

/**
 * The caller-thread bindings (jco's JSPI mode) take the JSPI API as a fourth
 * argument of `instantiate` instead of reading WebAssembly's: native JSPI, or
 * src/main/asyncify.js's polyfill of it, chosen per instance.
 */
export function patchJspi(path) {
  let source = readFileSync(path, 'utf8');
  const edits = [
    ['instantiate: JSPI API as an argument',
      'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {',
      'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate, jspi = WebAssembly) { // patched: see js/scripts/patch-generated.mjs'],
    ['Suspending from it', /new WebAssembly\.Suspending\(/g, 'new jspi.Suspending('],
    ['promising from it', /WebAssembly\.promising\(/g, 'jspi.promising('],
  ];
  for (const [what, find, replace] of edits) {
    const n = typeof find === 'string' ? source.split(find).length - 1 : source.match(find)?.length ?? 0;
    if (n < 1) throw new Error(`patch "${what}" matched nothing in ${path}: was jco upgraded?`);
    source = typeof find === 'string' ? source.replace(find, replace) : source.replace(find, replace);
  }
  writeFileSync(path, source);
  return edits.map(([what]) => what);
}
