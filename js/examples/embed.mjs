import { SnapshotClient, SnapshotError } from '@lobu/transcript-snapshot';

const { GATEWAY_URL: url, GATEWAY_TOKEN: token, WORKSPACE, JOB_PAYLOAD } = process.env;
const session = '/workspace/.openclaw/session.jsonl'; // the guest's view of WORKSPACE
const client = await SnapshotClient.open({ preopens: { '/workspace': WORKSPACE }, allowedAuthorities: [new URL(url).host] });
try {
  // Before the run: pull the last completed snapshot; on failure keep the local file and go on.
  const pulled = await client.hydrate({ url, token }, session).catch((e) => { if (e instanceof SnapshotError) return e.error; throw e; });
  console.log('hydrate', JSON.stringify(pulled));
  // ... the agent runs and appends to the session file ...
  const run = await client.runBindingFromPayload(JOB_PAYLOAD); // { runId, token } or null
  console.log('write', JSON.stringify(await client.write(url, run, session, 'completed'))); // an outcome, never a throw
} finally {
  await client.close();
}
