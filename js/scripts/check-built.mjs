// `npm pack` (prepack): refuse to pack a package without what it runs on,
// since generated/ and the component are build outputs, not sources.
import { existsSync, readdirSync } from 'node:fs';

const need = ['generated/transcript_snapshot.js', 'transcript_snapshot.wasm'];
const missing = need.filter((f) => !existsSync(new URL(`../${f}`, import.meta.url)));
const hasCore = existsSync(new URL('../generated', import.meta.url))
  && readdirSync(new URL('../generated', import.meta.url)).some((n) => n.endsWith('.wasm'));
if (missing.length > 0 || !hasCore) {
  console.error(`not built (missing: ${[...missing, ...(hasCore ? [] : ['generated/*.wasm'])].join(', ')}): run \`npm run build\` first`);
  process.exit(1);
}
