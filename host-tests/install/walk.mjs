// One conversation through the installed npm package, as a migrating worker
// makes it: the drop-in functions with host paths. Run by run.sh under node
// and under bun, in an empty project outside the repository. Prints one line
// per call and exits non-zero when a result is not the expected one; run.sh
// compares the files. Every log call is kept and checked for the tokens.
import { clearSnapshots, hydrateFromSnapshot, writeSnapshot } from '@lobu/transcript-snapshot';
import { existsSync } from 'node:fs';

const { WORK, GATEWAY_URL: gatewayUrl, TOKEN, RUN_TOKEN, RUN_ID } = process.env;
const lines = [];
const records = [];
const keep = (level) => (...args) => {
  records.push(...args.filter((a) => typeof a === 'object'));
  lines.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
};
const logger = { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };

function expect(what, got, want) {
  console.log(`${what}: ${JSON.stringify(got)}`);
  if (got !== want) throw new Error(`${what}: expected ${JSON.stringify(want)}`);
}

await writeSnapshot({
  gatewayUrl, workerToken: RUN_TOKEN, sessionFile: `${WORK}/a/session.jsonl`,
  terminalStatus: 'completed', runId: Number(RUN_ID), logger,
});
expect('hydrate', await hydrateFromSnapshot({ gatewayUrl, workerToken: TOKEN, sessionFile: `${WORK}/b/session.jsonl`, logger }), true);
await clearSnapshots({ gatewayUrl, workerToken: TOKEN, logger });
// writeSnapshot and clearSnapshots resolve whatever happened: their log records say what did.
const logged = (operation) => records.find((r) => r.operation === operation)?.outcome;
expect('write', logged('write'), 'stored');
expect('clear', logged('clear'), 'cleared');
expect('hydrate after clear', await hydrateFromSnapshot({ gatewayUrl, workerToken: TOKEN, sessionFile: `${WORK}/c/session.jsonl`, logger }), false);
expect('file after a hydrate that found nothing', existsSync(`${WORK}/c/session.jsonl`), false);

if (lines.length < 4) throw new Error(`expected a log record per call, got ${lines.length}`);
const leaks = lines.filter((l) => l.includes(TOKEN) || l.includes(RUN_TOKEN));
if (leaks.length) throw new Error(`${leaks.length} log lines hold a token`);
console.log(`${lines.length} log lines, no token in any`);
// The drop-ins keep one client open for the process; it must not hold the process open.
