// Writes the "Warm calls on Node and Bun" section of bench/RESULTS.md from
// the reports of bench/hosts/warm.mjs --md (one per runtime), replacing the
// section if it is there (and leaving any later section, such as bench/load.sh's).
// bench/run.sh keeps the section when it rewrites the rest of the file.
// usage: node bench/hosts/warm-results.mjs REPORT.md… (bench/warm.sh --results does this;
// several runs' reports may be given, in order)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HEADING = '## Warm calls on Node and Bun';
const results = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../RESULTS.md');
const reports = process.argv.slice(2).map((f) => fs.readFileSync(f, 'utf8').trim());
const section = `${HEADING}

Produced by \`bench/warm.sh --results\` (see [README](README.md#warm-calls-on-node-and-bun)),
written ${new Date().toISOString().slice(0, 16)} UTC on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}).
Each run's heading gives its start and the load average at each size. One process per runtime: warm clients, interleaved call by call in a new (seeded) order every round (after 20 warm-up rounds; 5 at
4 MiB) against one stand-in gateway in a separate process. *median* and *p90* are of the timed
calls; *÷ reference* and *÷ floor* compare medians of the same run; *of which fsyncs* is the
floor's own time in its two fsyncs; *max loop stall* is the worst lateness of a 1 ms timer on
the caller's thread over 20 more calls of the row (its event loop's freedom). **The machine is
shared** (builds of other work ran during the day): the load averages are given per size;
compare rows of one run, not runs.${reports.some((r) => r.includes('client (before)')) ? `
Rows *client (before)* are another build of the package (\`WARM_BEFORE=\` its \`js/src/index.js\`,
with its own component): ${process.env.WARM_BEFORE_ABOUT ?? 'an earlier commit'}, interleaved with the rest.` : ''}

${reports.join('\n\n')}
`;
let doc = fs.existsSync(results) ? fs.readFileSync(results, 'utf8') : '';
const at = doc.indexOf(HEADING);
// Up to the next section of its own level (bench/load.sh's), which stays.
const next = at >= 0 ? doc.indexOf('\n## ', at + HEADING.length) : -1;
const rest = next >= 0 ? `\n${doc.slice(next + 1)}` : '';
doc = at >= 0 ? `${doc.slice(0, at)}${section}${rest}` : `${doc.trimEnd()}\n\n${section}`;
fs.writeFileSync(results, doc);
console.log(`written to ${results}`);
