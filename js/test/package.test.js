// The npm tarball as a user gets it: `npm pack`, then `npm install` of the
// .tgz into an empty project in a temporary directory outside this
// repository, where a script using the package's main entry hydrates, writes
// and clears under Node and under Bun, with no build step. Needs `npm run build`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  mkdir, mkdtemp, readFile, rm, writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startGateway } from './support/gateway.js';

const run = promisify(execFile);
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const bun = path.join(pkgDir, 'node_modules/.bin/bun');
const node = process.versions.bun ? 'node' : process.execPath; // under `bun test`, execPath is bun

// Uses only the main entry, as an installed user would; prints what it saw.
const SCRIPT = `
import { readFileSync } from 'node:fs';
import { hydrateFromSnapshot, writeSnapshot, clearSnapshots, SnapshotClient } from '@lobu/transcript-snapshot';
const { URL: url, FILE: file } = process.env;
const got = [];
const logger = { info: (f) => got.push(f.outcome), warn: (f) => got.push(f.outcome + ':' + f.error) };
got.push(await hydrateFromSnapshot({ gatewayUrl: url, workerToken: 'w', sessionFile: file, logger }));
await writeSnapshot({ gatewayUrl: url, workerToken: 'r', sessionFile: file, terminalStatus: 'completed', runId: 5, logger });
await clearSnapshots({ gatewayUrl: url, workerToken: 'w', logger });
got.push(typeof SnapshotClient.open, readFileSync(file, 'utf8'));
console.log(JSON.stringify(got));
`;

let root;
let tarball;
let project;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ts-npm-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: pkgDir });
  const [info] = JSON.parse(stdout);
  tarball = { path: path.join(root, info.filename), files: info.files.map((f) => f.path) };
  project = path.join(root, 'project');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), '{ "name": "user-project", "private": true, "type": "module" }\n');
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball.path], { cwd: project });
  await writeFile(path.join(project, 'main.mjs'), SCRIPT);
});
after(() => rm(root, { recursive: true, force: true }));

describe('npm package', () => {
  it('carries the component, its bindings and the sources, and nothing of the repository', async () => {
    const files = new Set(tarball.files);
    for (const f of ['package.json', 'README.md', 'transcript_snapshot.wasm', 'generated/transcript_snapshot.js',
      'generated/transcript_snapshot.core.wasm', 'src/index.js', 'src/index.d.ts', 'src/main/drop-in.js', 'src/worker/worker.js', 'src/shared/protocol.js']) {
      assert.ok(files.has(f), `${f} missing from the tarball`);
    }
    for (const f of files) assert.match(f, /^(src\/|generated\/|transcript_snapshot\.wasm$|README\.md$|package\.json$)/, `${f} should not ship`);
    const installed = path.join(project, 'node_modules/@lobu/transcript-snapshot');
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
    assert.equal(manifest.private, undefined);
    assert.deepEqual(manifest.dependencies ?? {}, {});
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts?.[hook], undefined, hook);
    // The same component bytes as the build in this repository.
    assert.deepEqual(await readFile(path.join(installed, 'transcript_snapshot.wasm')), await readFile(path.join(pkgDir, 'transcript_snapshot.wasm')));
  });

  for (const [runtime, bin] of [['Node', node], ['Bun', bun]]) {
    it(`works installed, under ${runtime}`, { skip: runtime === 'Bun' && !existsSync(bun) && 'bun not installed' }, async () => {
      const snapshot = '{"type":"session","id":"installed"}\n';
      const gw = await startGateway((req) => (req.method === 'GET' ? { body: snapshot } : { body: '{}' }));
      try {
        const file = path.join(root, runtime, '.openclaw', 'session.jsonl');
        const { stdout } = await run(bin, ['main.mjs'], { cwd: project, env: { ...process.env, URL: gw.url, FILE: file }, timeout: 30_000 });
        assert.deepEqual(JSON.parse(stdout), ['hydrated', true, 'stored', 'cleared', 'function', snapshot]);
        assert.deepEqual(gw.requests.map((r) => r.method), ['GET', 'POST', 'DELETE']);
        assert.equal(JSON.parse(gw.requests[1].body).snapshotJsonl, snapshot);
      } finally {
        await gw.close();
      }
    });
  }
});
