// Where the sessions checkpoint lives: the state directory when this user may write there, else
// a per-user cache directory. Written atomically (temp file, rename), mode 0600: it holds session
// records, as sensitive as the log.

import { accessSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Checkpoint } from './sessions-checkpoint.ts';

export const checkpointName = 'sessions.checkpoint.json';

export function checkpointPath(stateDir: string, env: Readonly<Record<string, string | undefined>>): string | null {
  try {
    accessSync(stateDir, constants.W_OK | constants.X_OK);
    return `${stateDir}/${checkpointName}`;
  } catch {
    const cache = env['XDG_CACHE_HOME'] || (env['HOME'] ? `${env['HOME']}/.cache` : null);
    return cache ? `${cache}/logsphere/${checkpointName}` : null;
  }
}

export function loadCheckpoint(path: string): Checkpoint | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    return Array.isArray(value.files) && Array.isArray(value.kept) ? value : null;
  } catch {
    return null; // missing or damaged: read everything once and write a new one
  }
}

export function saveCheckpoint(path: string, checkpoint: Checkpoint): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(checkpoint), { mode: 0o600 });
  renameSync(temp, path);
}
