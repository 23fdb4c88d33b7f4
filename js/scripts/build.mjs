// Transpiles the component into ./generated (gitignored) with jco, and copies
// the component itself to ./transcript_snapshot.wasm (gitignored), both of
// which the npm tarball carries. The wasm path defaults to the release build
// in the workspace's target dir (honouring CARGO_TARGET_DIR); set
// TRANSCRIPT_SNAPSHOT_WASM to use another one.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchGenerated } from './patch-generated.mjs';
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
execFileSync(process.execPath, [
  // jco's CLI entry sits next to its API entry; its `exports` hide the bin path.
  fileURLToPath(new URL('jco.js', import.meta.resolve('@bytecodealliance/jco'))),
  'transpile', wasm, '-o', 'generated', '--instantiation', 'async', '--quiet',
], { cwd: root, stdio: 'inherit' });
for (const what of patchGenerated(fileURLToPath(new URL('../generated/transcript_snapshot.js', import.meta.url)))) {
  console.log(`patched: ${what}`);
}
// Not loaded at run time (the core modules in generated/ are): shipped so an
// installed package carries the component its bindings came from.
copyFileSync(wasm, new URL('../transcript_snapshot.wasm', import.meta.url));
console.log(`transpiled ${wasm} -> generated/, copied to transcript_snapshot.wasm`);
