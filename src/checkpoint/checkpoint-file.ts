// Where the sessions checkpoint lives: the state directory when it belongs to this user (root
// creates it when missing, 0755), else, for any other user, a per-user cache directory. Root never
// falls back to HOME: sudo may keep a user's HOME, and that user's links there would aim root's
// writes; without its state directory root goes on without a checkpoint. Written atomically
// (temp file created O_EXCL|O_NOFOLLOW, rename), mode 0600: it holds session records, as
// sensitive as the log.

import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { ensureOwnDirSync, writeFileAtomicSync } from '../store/atomic-file.ts';
import type { Checkpoint } from './sessions-checkpoint.ts';

export const checkpointName = 'sessions.checkpoint.json';

/** The directory of the checkpoint, made ready for writing; null when there is none to use. */
function checkpointDir(stateDir: string, env: Readonly<Record<string, string | undefined>>): string | null {
  try {
    ensureOwnDirSync(stateDir, 0o755);
    return stateDir;
  } catch {
    if ((process.geteuid?.() ?? 0) === 0) return null;
  }
  const cache = env['XDG_CACHE_HOME'] || (env['HOME'] ? `${env['HOME']}/.cache` : null);
  if (!cache?.startsWith('/')) return null;
  try {
    ensureOwnDirSync(cache, 0o700);
    ensureOwnDirSync(`${cache}/logsphere`, 0o700);
    return `${cache}/logsphere`;
  } catch {
    return null;
  }
}

export function checkpointPath(stateDir: string, env: Readonly<Record<string, string | undefined>>): string | null {
  const dir = checkpointDir(stateDir, env);
  return dir === null ? null : `${dir}/${checkpointName}`;
}

export function loadCheckpoint(path: string): Checkpoint | null {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const value = JSON.parse(text) as Checkpoint;
    return Array.isArray(value.files) && Array.isArray(value.kept) ? value : null;
  } catch {
    return null; // missing or damaged: read everything once and write a new one
  }
}

export function saveCheckpoint(path: string, checkpoint: Checkpoint): void {
  const slash = path.lastIndexOf('/');
  writeFileAtomicSync(path.slice(0, slash), path.slice(slash + 1), JSON.stringify(checkpoint), 0o600);
}
