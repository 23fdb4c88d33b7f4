// Transpiles the component into ./generated (gitignored) with jco, and copies
// the component itself to ./transcript_snapshot.wasm (gitignored), both of
// which the npm tarball carries. The wasm path defaults to the release build
// in the workspace's target dir (honouring CARGO_TARGET_DIR); set
// TRANSCRIPT_SNAPSHOT_WASM to use another one.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchGenerated, patchJspi } from './patch-generated.mjs';

// The component imports that wait (and so suspend the guest on the caller's
// thread), as [interface, function]; every other import stays synchronous.
const ASYNC_IMPORTS = [
  ['wasi:io/poll@0.2.12', 'poll'],
  ['wasi:io/poll@0.2.12', '[method]pollable.block'],
  ['wasi:filesystem/types@0.2.12', '[method]descriptor.sync'],
  ['wasi:filesystem/types@0.2.12', '[method]descriptor.rename-at'],
];
const ASYNC_EXPORTS = ['hydrate', 'write', 'clear'].map((f) => `lobu:transcript-snapshot/snapshot@0.2.0#${f}`);
import { targetDir } from './target-dir.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasm = process.env.TRANSCRIPT_SNAPSHOT_WASM
  ?? path.join(targetDir, 'wasm32-wasip2/release/transcript_snapshot.wasm');
if (!existsSync(wasm)) {
  console.error(`component not found: ${wasm}\nbuild it with \`cargo build --target wasm32-wasip2 --release\` (repo root) or set TRANSCRIPT_SNAPSHOT_WASM`);
  process.exit(1);
}
// Start clean so files from an older build (e.g. a removed core module) cannot linger.
rmSync(new URL('../generated', import.meta.url), { recursive: true, force: true });
// --instantiation async: the bindings take their imports as an argument, which
// is what lets every client get its own sandboxed WASIShim.
// jco's CLI entry sits next to its API entry; its `exports` hide the bin path.
const jco = fileURLToPath(new URL('jco.js', import.meta.resolve('@bytecodealliance/jco')));
execFileSync(process.execPath, [
  jco, 'transpile', wasm, '-o', 'generated', '--instantiation', 'async', '--quiet',
], { cwd: root, stdio: 'inherit' });
for (const what of patchGenerated(fileURLToPath(new URL('../generated/transcript_snapshot.js', import.meta.url)))) {
  console.log(`patched: ${what}`);
}
// The caller-thread build (SnapshotClient.open({ thread: 'caller' }), see
// src/main/caller.js): the imports that wait return promises (JSPI bindings),
// and the main core module is transformed with binaryen's Asyncify so that
// src/main/asyncify.js can suspend it where the runtime has no JSPI.
execFileSync(process.execPath, [
  jco, 'transpile', wasm, '-o', 'generated/caller', '--instantiation', 'async', '--quiet',
  '--async-mode', 'jspi',
  '--async-imports', ...ASYNC_IMPORTS.map(([iface, fn]) => `${iface}#${fn}`),
  '--async-exports', ...ASYNC_EXPORTS,
], { cwd: root, stdio: 'inherit' });
const callerJs = fileURLToPath(new URL('../generated/caller/transcript_snapshot.js', import.meta.url));
for (const what of [...patchGenerated(callerJs), ...patchJspi(callerJs)]) {
  console.log(`patched (caller): ${what}`);
}
const core = fileURLToPath(new URL('../generated/caller/transcript_snapshot.core.wasm', import.meta.url));
execFileSync(process.execPath, [
  fileURLToPath(new URL('../node_modules/binaryen/bin/wasm-opt', import.meta.url)),
  core, '-o', core, '--asyncify',
  `--pass-arg=asyncify-imports@${ASYNC_IMPORTS.map(([iface, fn]) => `${iface}.${fn}`).join(',')}`,
  '-O2',
  // Rust's wasm32 defaults (the core module carries no target-features section).
  '--enable-bulk-memory', '--enable-bulk-memory-opt', '--enable-sign-ext', '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int', '--enable-multivalue', '--enable-reference-types', '--enable-simd',
], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
console.log('asyncified: generated/caller/transcript_snapshot.core.wasm');
// Not loaded at run time (the core modules in generated/ are): shipped so an
// installed package carries the component its bindings came from.
copyFileSync(wasm, new URL('../transcript_snapshot.wasm', import.meta.url));
console.log(`transpiled ${wasm} -> generated/, copied to transcript_snapshot.wasm`);
