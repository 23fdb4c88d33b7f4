// Warm calls, as a long-lived worker makes them, in ONE process (run it with
// node or with bun): the reference client (../shared/bench/ts-baseline), a
// plain-JavaScript durable hydrate (the floor: fetch, temporary file, fsync,
// rename, directory fsync), the package's SnapshotClient and its drop-in
// functions, interleaved call by call against one stand-in gateway in a
// separate process (warm-gateway.mjs). Prints medians, p90s and the verdicts
// of issue 13. See bench/README.md ("Warm calls").
//
// usage: node|bun bench/hosts/warm.mjs [--quick] [--n N] [--sizes 1300,633000,4194304]
//        [--only CASE,…] [--md FILE] [--json FILE]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const BASELINE = process.env.TS_BASELINE ?? path.resolve(REPO, '../shared/bench/ts-baseline');
const ref = await import(pathToFileURL(path.join(BASELINE, 'transcript-snapshot.mjs')).href);
const pkg = await import(pathToFileURL(process.env.WARM_PKG ?? path.join(REPO, 'js/src/index.js')).href);
// WARM_BEFORE=/path/to/an/older/js/src/index.js adds that package's client as
// rows "client (before)", interleaved with the rest: a before/after in one run.
const before = process.env.WARM_BEFORE ? await import(pathToFileURL(process.env.WARM_BEFORE).href) : null;

// ---- arguments -------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, dflt) => { const i = argv.indexOf(name); return i < 0 ? dflt : argv[i + 1]; };
const QUICK = flag('--quick');
const SIZES = value('--sizes', '1300,633000,4194304').split(',').map(Number);
const N_ARG = value('--n', null);
const ONLY = value('--only', null)?.split(','); // e.g. --only client,reference (profiling; verdicts need all)
/** Timed calls of each case, and warm-up calls before them, per size. */
function counts(size) {
  // At 1.3 KB a call is about a millisecond and its median moves by a tenth
  // of one between runs of 200 calls: 1000 make the verdicts steadier.
  const n = N_ARG ? Number(N_ARG) : size <= 64_000 ? 1000 : size <= 1_000_000 ? 300 : 30;
  if (QUICK) return { warm: 3, n: Math.max(5, Math.round(n / 10)) };
  return { warm: size <= 1_000_000 ? 20 : 5, n };
}
const RUNTIME = typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : `Node ${process.versions.node}`;
const TOKEN = 'bench-token-0123456789';

// ---- the gateway, in its own process --------------------------------------------------
const gateway = spawn(process.env.NODE ?? 'node', [path.join(HERE, 'warm-gateway.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  gateway.once('error', reject);
  gateway.once('exit', (c) => reject(new Error(`gateway exited (${c})`)));
  createInterface({ input: gateway.stdout }).once('line', (l) => resolve(Number(l.split(' ')[1])));
});
const urlFor = (size) => `http://127.0.0.1:${port}/s${size}`;
// The same snapshot from a gateway with snapshot versions (etag, 304).
const versionedUrlFor = (size) => `http://127.0.0.1:${port}/v${size}`;

// ---- the cases ---------------------------------------------------------------------
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-bench-'));
const dirOf = (name) => { const d = path.join(work, name, '.openclaw'); fs.mkdirSync(d, { recursive: true }); return d; };
const clientRoot = path.join(work, 'client');
fs.mkdirSync(path.join(clientRoot, '.openclaw'), { recursive: true });
const client = await pkg.SnapshotClient.open({
  preopens: { '/workspace': clientRoot }, allowedAuthorities: [`127.0.0.1:${port}`],
});
// The client's default thread is the runtime's (Bun: the caller's; Node: a
// worker). WARM_OTHER=1 adds a client on the other one, as rows "client
// (worker thread)" on Bun and "client (caller thread)" on Node.
const OTHER = typeof Bun !== 'undefined' ? 'worker' : 'caller';
const otherClient = process.env.WARM_OTHER === '1' ? await pkg.SnapshotClient.open({
  preopens: { '/workspace': clientRoot }, allowedAuthorities: [`127.0.0.1:${port}`], thread: OTHER,
}) : null;
const beforeClient = before && await before.SnapshotClient.open({
  preopens: { '/workspace': clientRoot }, allowedAuthorities: [`127.0.0.1:${port}`],
});
const ms = () => performance.now();
let syncMs = 0; // the floor's time in fsync, summed over one call

/** Plain JavaScript, durable: what any careful hydrate must at least do. */
async function floorHydrate(url, file) {
  const res = await fetch(`${url}/worker/transcript/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`floor: HTTP ${res.status}`);
  const body = new Uint8Array(await res.arrayBuffer());
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.hydrate-tmp`);
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(body);
    const t = ms(); await fh.sync(); syncMs += ms() - t;
  } finally { await fh.close(); }
  await fsp.rename(tmp, file);
  const dh = await fsp.open(dir, 'r');
  try { const t = ms(); await dh.sync(); syncMs += ms() - t; } finally { await dh.close(); }
}

let writesSent = 0;
const upToDateSeen = new Set();
function casesFor(size) {
  const url = urlFor(size);
  const f = (name) => path.join(dirOf(`${name}-${size}`), 'session.jsonl');
  const files = {
    refH: f('ref-h'), floorH: f('floor-h'), dropH: f('drop-h'),
    refW: f('ref-w'), dropW: f('drop-w'),
  };
  const clientH = `/workspace/.openclaw/h-${size}.jsonl`;
  const clientW = `/workspace/.openclaw/w-${size}.jsonl`;
  const clientU = `/workspace/.openclaw/u-${size}.jsonl`;
  const expect = (ok, what) => { if (!ok) throw new Error(`${what}: unexpected outcome`); };
  const opts = { maxWriteBytes: Math.max(size, 4 << 20) };
  const all = {
    files, clientW,
    list: [
      ['hydrate', 'reference', async () => expect(await ref.hydrateFromSnapshot({ gatewayUrl: url, workerToken: TOKEN, sessionFile: files.refH }), 'reference hydrate')],
      ['hydrate', 'floor', () => floorHydrate(url, files.floorH)],
      ['hydrate', 'client', async () => expect((await client.hydrate({ url, token: TOKEN }, clientH, opts)).kind === 'hydrated', 'client hydrate')],
      // A worker whose file already holds the latest snapshot (its own last
      // write, or an earlier hydrate): a 304, nothing written. Only the first
      // (warm-up) call downloads.
      ['hydrate', 'client, up to date', async () => {
        const kind = (await client.hydrate({ url: versionedUrlFor(size), token: TOKEN }, clientU, opts)).kind;
        expect(kind === 'up-to-date' || (kind === 'hydrated' && !upToDateSeen.has(size)), 'client up-to-date hydrate');
        upToDateSeen.add(size);
      }],
      ['hydrate', 'drop-in', async () => expect(await pkg.hydrateFromSnapshot({ gatewayUrl: url, workerToken: TOKEN, sessionFile: files.dropH, options: opts }), 'drop-in hydrate')],
      ['write', 'reference', async () => { await ref.writeSnapshot({ gatewayUrl: url, workerToken: TOKEN, sessionFile: files.refW, terminalStatus: 'completed', runId: 1 }); writesSent += 1; }],
      ['write', 'client', async () => { expect((await client.write(url, { runId: 1, token: TOKEN }, clientW, 'completed', opts)).kind === 'stored', 'client write'); writesSent += 1; }],
      ...(otherClient ? [
        ['hydrate', `client (${OTHER} thread)`, async () => expect((await otherClient.hydrate({ url, token: TOKEN }, `/workspace/.openclaw/hc-${size}.jsonl`, opts)).kind === 'hydrated', 'other-thread hydrate')],
        ['write', `client (${OTHER} thread)`, async () => { expect((await otherClient.write(url, { runId: 1, token: TOKEN }, clientW, 'completed', opts)).kind === 'stored', 'other-thread write'); writesSent += 1; }],
      ] : []),
      ...(beforeClient ? [
        ['hydrate', 'client (before)', async () => expect((await beforeClient.hydrate({ url, token: TOKEN }, `/workspace/.openclaw/hb-${size}.jsonl`, opts)).kind === 'hydrated', 'before hydrate')],
        ['write', 'client (before)', async () => { expect((await beforeClient.write(url, { runId: 1, token: TOKEN }, clientW, 'completed', opts)).kind === 'stored', 'before write'); writesSent += 1; }],
      ] : []),
      ['write', 'drop-in', async () => { await pkg.writeSnapshot({ gatewayUrl: url, workerToken: TOKEN, sessionFile: files.dropW, terminalStatus: 'completed', runId: 1, options: opts }); writesSent += 1; }],
    ],
  };
  if (ONLY) all.list = all.list.filter(([, who]) => ONLY.includes(who) || who === 'reference');
  return all;
}

/** The same sequence of orders in every run: a seeded PRNG (mulberry32). */
let seed = 0x2545f491;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
/** Fisher–Yates, in place. */
function shuffle(a) {
  for (let i = a.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}

/** The largest lateness of a 1 ms timer while `fn` runs `times` times: is the caller's loop free? */
async function loopStall(fn, times) {
  let last = ms();
  let worst = 0;
  const timer = setInterval(() => { const t = ms(); worst = Math.max(worst, t - last - 1); last = t; }, 1);
  for (let i = 0; i < times; i += 1) await fn();
  clearInterval(timer);
  return Math.max(worst, ms() - last - 1);
}

// ---- the run -------------------------------------------------------------------------
const rows = [];
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const started = new Date();
const loads = [];
for (const size of SIZES) {
  const { files, clientW, list } = casesFor(size);
  const body = Buffer.from(await (await fetch(`${urlFor(size)}/worker/transcript/snapshot`)).arrayBuffer());
  if (body.length !== size) throw new Error(`gateway served ${body.length} bytes, not ${size}`);
  for (const file of [files.refW, files.dropW, path.join(clientRoot, clientW.slice('/workspace/'.length))]) fs.writeFileSync(file, body);
  loads.push(`${size}: ${load()}`);
  const { warm, n } = counts(size);
  const times = list.map(() => []);
  const syncs = [];
  const order = list.map((_, j) => j);
  for (let i = 0; i < warm + n; i += 1) {
    // A new order every round: each case follows every other about equally
    // often. (Rotating one order left each case behind the same one almost
    // always, and what a case leaves behind, its garbage, the disk's work,
    // was paid by the case after it.)
    shuffle(order);
    for (const j of order) {
      syncMs = 0;
      const t = ms();
      await list[j][2]();
      const dt = ms() - t;
      if (i >= warm) {
        times[j].push(dt);
        if (list[j][1] === 'floor') syncs.push(syncMs);
      }
    }
  }
  for (const file of [files.refH, files.floorH, files.dropH, ...['h', 'u'].map((p) => path.join(clientRoot, `.openclaw/${p}-${size}.jsonl`))]) {
    if (fs.existsSync(file) && !fs.readFileSync(file).equals(body)) throw new Error(`${file} does not hold the snapshot`);
  }
  const stallN = Math.min(20, n);
  list.forEach(([op, who, fn], j) => {
    rows.push({ size, op, who, n, median: median(times[j]), p90: quantile(times[j], 0.9), sync: who === 'floor' ? median(syncs) : null, fn, stallN });
  });
  for (const row of rows.filter((r) => r.size === size)) row.stall = await loopStall(row.fn, stallN);
}
const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
const expectedPosts = writesSent;
gateway.stdin.end();
await client.close();
await beforeClient?.close();
await otherClient?.close();
fs.rmSync(work, { recursive: true, force: true });

// ---- the report ----------------------------------------------------------------------
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const label = (size) => (size >= 1 << 20 ? `${size / (1 << 20)} MiB` : `${(size / 1000).toFixed(size < 10_000 ? 1 : 0)} KB`);
const find = (size, op, who) => rows.find((r) => r.size === size && r.op === op && r.who === who);
const report = [];
const out = (line) => { report.push(line); console.log(line); };
out(`\n### ${RUNTIME}: warm calls (${started.toISOString().slice(0, 16)} UTC, ${os.cpus().length} cores; load at start of each size: ${loads.join('; ')})\n`);
out('| size | op | client | median ms | p90 ms | ÷ reference | ÷ floor | max loop stall ms |');
out('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const refRow = find(r.size, r.op, 'reference');
  const floorRow = find(r.size, r.op, 'floor');
  const who = r.who === 'floor' ? `floor (of which fsyncs ${fmt(r.sync)} ms)` : r.who;
  out(`| ${label(r.size)} | ${r.op} | ${who} | ${fmt(r.median)} | ${fmt(r.p90)} | ${(r.median / refRow.median).toFixed(2)}× | ${floorRow ? `${(r.median / floorRow.median).toFixed(2)}×` : '—'} | ${fmt(r.stall)} |`);
}
const verdicts = [];
const check = (what, a, b, limit) => {
  if (!a || !b) return;
  const x = a.median / b.median;
  verdicts.push(`| ${what} | ${fmt(a.median)} / ${fmt(b.median)} ms = ${x.toFixed(2)}× (≤ ${limit}×) | ${x <= limit ? 'met' : '**missed**'} |`);
};
const big = 633_000;
for (const who of ['client', 'drop-in']) {
  check(`${who} hydrate 1.3 KB within 1.2× of the floor`, find(1300, 'hydrate', who), find(1300, 'hydrate', 'floor'), 1.2);
  check(`${who} write 1.3 KB within 1.2× of the reference`, find(1300, 'write', who), find(1300, 'write', 'reference'), 1.2);
  check(`${who} hydrate 633 KB no slower than the reference`, find(big, 'hydrate', who), find(big, 'hydrate', 'reference'), 1);
  check(`${who} write 633 KB no slower than the reference`, find(big, 'write', who), find(big, 'write', 'reference'), 1);
}
// Not issue 13's goals (those are full hydrates), but what a worker whose
// file is current pays: issue 14's goal, an up-to-date hydrate at every size
// no dearer than a full 1.3 KB one, on this runtime.
for (const size of SIZES) {
  check(`client up-to-date hydrate ${label(size)} within the client's full 1.3 KB hydrate`, find(size, 'hydrate', 'client, up to date'), find(1300, 'hydrate', 'client'), 1);
}
out(`\n| ${RUNTIME}: goal | package / target | verdict |\n| --- | --- | --- |\n${verdicts.join('\n')}`);
out(`\ngateway drained ${stats.posts} POSTs (${expectedPosts} writes made${stats.posts === expectedPosts ? ', all sent' : ': SOME NOT SENT'})`);
const mdOut = value('--md', null); // the report above, for bench/hosts/warm-results.mjs
if (mdOut) fs.writeFileSync(mdOut, `${report.join('\n')}\n`);
const jsonOut = value('--json', null);
if (jsonOut) {
  fs.appendFileSync(jsonOut, `${JSON.stringify({ runtime: RUNTIME, started, loads, rows: rows.map(({ fn, ...r }) => r), verdicts })}\n`);
}
if (stats.posts !== expectedPosts) process.exitCode = 1;
