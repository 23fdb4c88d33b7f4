// One measured run on the Node (jco) package, as its own process.
// usage: node node.mjs hydrate|write warm|cold URL WARM_URL DIR SIZE
// warm: open the client, one untimed warm-up call on the small snapshot, then
// the timed call; cold: open and one timed call (the orchestrator times the
// whole process). Prints `call_ms=… load_ms=… warmup_ms=…`, like every host.
import { SnapshotClient } from '../../js/src/index.js';

const [op, mode, url, warmUrl, dir, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const authority = (u) => new URL(u).host;
// Limits raised to the size under test, as on every host (see rust_host.rs).
const options = {
  maxWriteBytes: Math.max(size, 4 << 20),
  maxHydrateBytes: Math.max(size, 64 << 20),
  timeoutMs: 300_000,
  maxAttempts: 1,
};

async function call(client, gatewayUrl, file, expected) {
  const session = `/workspace/.openclaw/${file}`;
  const out = op === 'hydrate'
    ? await client.hydrate({ url: gatewayUrl, token: 'bench' }, session, options)
    : await client.write(gatewayUrl, { runId: 1, token: 'bench' }, session, 'completed', options);
  const want = op === 'hydrate' ? 'hydrated' : 'stored';
  if (out.kind !== want || Number(out.bytes) !== expected) {
    throw new Error(`unexpected outcome ${JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
}

const t0 = performance.now();
const client = await SnapshotClient.open({
  preopens: { '/workspace': dir },
  allowedAuthorities: [authority(url), authority(warmUrl)],
});
const loadMs = performance.now() - t0;
let warmMs = 0;
if (mode === 'warm') {
  const t = performance.now();
  await call(client, warmUrl, 'warmup.jsonl', 1300);
  warmMs = performance.now() - t;
}
const t = performance.now();
await call(client, url, 'session.jsonl', size);
const callMs = performance.now() - t;
console.log(`call_ms=${callMs.toFixed(3)} load_ms=${loadMs.toFixed(3)} warmup_ms=${warmMs.toFixed(3)}`);
await client.close();
