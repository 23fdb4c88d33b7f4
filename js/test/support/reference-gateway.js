// The real programs behind the end-to-end test: the reference gateway
// (`snapshot-gateway`, a child process per replica) and a throwaway PostgreSQL
// cluster (`pg-cluster`). Both are built by `cargo build -p host-tests -p
// snapshot-gateway --bins`, or named by SNAPSHOT_GATEWAY_BIN and PG_CLUSTER_BIN
// (scripts/test.sh hands every suite the programs its one test build made). Every process started here is tracked by a
// `Processes` so one `after` hook stops them all, even when a step failed.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { targetDir } from '../../scripts/target-dir.mjs';

const FROM_ENV = { 'snapshot-gateway': 'SNAPSHOT_GATEWAY_BIN', 'pg-cluster': 'PG_CLUSTER_BIN' };

const bin = (name) => {
  const file = process.env[FROM_ENV[name]] ?? path.join(targetDir, 'debug', name);
  if (!existsSync(file)) {
    throw new Error(`${file} not found: run \`cargo build -p host-tests -p snapshot-gateway --bins\` at the repo root`);
  }
  return file;
};

/** Prints a token for `scope` (`{ org, agent, conversation }`); a per-run token when `runId` is given. */
export async function mintToken(secret, { org, agent, conversation }, runId) {
  const args = ['mint-token', '--org', org, '--agent', agent, '--conversation', conversation];
  if (runId !== undefined) args.push('--run-id', String(runId));
  const { stdout } = await promisify(execFile)(bin('snapshot-gateway'), args, {
    env: { ...process.env, SNAPSHOT_GATEWAY_SECRET: secret },
  });
  return stdout.trim();
}

/** A started child process whose first stdout line is its "ready" signal. */
class Child {
  #stderr = '';

  constructor(what, file, args, env) {
    this.what = what;
    this.process = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdin.on('error', () => {}); // EPIPE when closing the stdin of a process already gone
    // Keep both pipes drained (the gateway logs every request on stderr); keep
    // the end of stderr to explain a process that dies before it is ready.
    this.process.stderr.setEncoding('utf8').on('data', (d) => { this.#stderr = (this.#stderr + d).slice(-4000); });
    this.exited = new Promise((resolve) => {
      this.process.once('error', (e) => resolve(`failed to start: ${e.message}`));
      this.process.once('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    });
    this.firstLine = new Promise((resolve, reject) => {
      let buf = '';
      this.process.stdout.setEncoding('utf8').on('data', (d) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      // No-op once the line has arrived.
      this.exited.then((how) => reject(new Error(`${what} ended (${how}) before printing its first line; stderr:\n${this.#stderr}`)));
    });
    this.firstLine.catch(() => {}); // reported by whoever awaits it; never an unhandled rejection
  }

  get running() {
    return this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined;
  }
}

export class Processes {
  #gateways = [];
  #clusters = [];

  /** Starts `pg-cluster`; resolves with the `postgres://` URL of a fresh database. */
  async postgres() {
    const child = new Child('pg-cluster', bin('pg-cluster'), [], process.env);
    this.#clusters.push(child);
    const url = (await child.firstLine).trim();
    if (!url.startsWith('postgres://')) throw new Error(`pg-cluster printed ${JSON.stringify(url)}, not a postgres:// URL`);
    return url;
  }

  /**
   * Starts `snapshot-gateway serve` on a free port with the `/lobu` prefix and
   * waits for its `listening http://ADDR` line. Resolves with `{ url, authority }`.
   */
  async gateway({ database, secret }) {
    const args = ['serve', '--listen', '127.0.0.1:0', '--database', database, '--prefix', '/lobu'];
    const child = new Child('snapshot-gateway', bin('snapshot-gateway'), args, { ...process.env, SNAPSHOT_GATEWAY_SECRET: secret });
    this.#gateways.push(child);
    // If the test process dies without running its hooks, take the gateway with it.
    // (pg-cluster needs no such hook: its stdin closes with us, and it then cleans up.)
    child.onExit = () => child.process.kill('SIGKILL');
    process.once('exit', child.onExit);
    const line = await child.firstLine;
    const match = /^listening (http:\/\/\S+)$/.exec(line.trim());
    if (!match) throw new Error(`snapshot-gateway printed ${JSON.stringify(line)}, not "listening http://ADDR"`);
    const base = new URL(match[1]);
    return { url: `${base.origin}/lobu`, authority: base.host };
  }

  /** Stops the gateways (SIGTERM: graceful), then the clusters (closing stdin stops and removes them). */
  async stopAll() {
    await Promise.all(this.#gateways.map(async (child) => {
      process.off('exit', child.onExit);
      if (child.running) {
        child.process.kill('SIGTERM');
        // A fallback, not a synchronisation: a gateway stuck in shutdown must not hold the suite.
        const force = setTimeout(() => child.process.kill('SIGKILL'), 5000);
        await child.exited;
        clearTimeout(force);
      }
    }));
    await Promise.all(this.#clusters.map(async (child) => {
      child.process.stdin.end();
      await child.exited;
    }));
    this.#gateways = [];
    this.#clusters = [];
  }
}
