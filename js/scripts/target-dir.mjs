// Where cargo puts the workspace's builds: $CARGO_TARGET_DIR when set (a
// relative one is taken from the repo root, where the scripts run cargo),
// else the repo's own target/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export const targetDir = path.resolve(repo, process.env.CARGO_TARGET_DIR || 'target');
