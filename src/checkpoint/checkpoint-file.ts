// Checkpoint files, one rule for all of them: a missing file is no checkpoint; one that cannot
// be read, is not JSON or is not a checkpoint of this kind and version is an error naming its
// path (a caller whose checkpoint is only a cache may then go on without it). They are written
// whole and durably (temp file created O_EXCL|O_NOFOLLOW, fsync, rename), mode 0600, in a
// directory owned by the writer: they hold records, as sensitive as the log.
//
// The sessions checkpoint lives in the state directory when it belongs to this user (root
// creates it when missing, 0755), else, for any other user, in a per-user cache directory. Root
// never falls back to HOME: sudo may keep a user's HOME, and that user's links there would aim
// root's writes; without its state directory root goes on without a checkpoint.

import { readTextNoFollow } from '../sys/fs.ts';
import { errorCode } from '../store/errors.ts';
import { ensureOwnDirSync, replaceFileSync } from '../store/atomic-file.ts';

/** A checkpoint that exists but cannot be used. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  readonly path: string;
  constructor(path: string, why: string) {
    super(`Cannot use the checkpoint ${path}: ${why}`);
    this.path = path;
  }
}

/** Reads the checkpoint at `path`: null when there is none; `kind` names it in errors. */
export function loadCheckpointFile<T>(path: string, kind: string, isCheckpoint: (value: unknown) => value is T): T | null {
  let text: string;
  try {
    text = readTextNoFollow(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new CheckpointError(path, errorCode(error) ?? String(error));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CheckpointError(path, 'not JSON');
  }
  if (!isCheckpoint(value)) throw new CheckpointError(path, `not a ${kind} checkpoint of this version`);
  return value;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The path of a named checkpoint (`follow --checkpoint NAME`, `watch --checkpoint NAME`) in the
 * state directory: `KIND-NAME.json`. A NAME that could leave the directory is refused.
 */
export function namedCheckpointPath(stateDir: string, kind: string, name: string): string {
  if (!namePattern.test(name)) throw new RangeError(`Cannot use the checkpoint name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-'`);
  return `${stateDir}/${kind}-${name}.json`;
}

/** Writes the checkpoint at `path` whole and durably, mode 0600, making its directory if missing. */
export function saveCheckpointFile(path: string, value: unknown): void {
  ensureOwnDirSync(path.slice(0, path.lastIndexOf('/')), 0o755);
  replaceFileSync(path, JSON.stringify(value), 0o600);
}

export const sessionsCheckpointName = 'sessions.checkpoint.json';

/** Where the sessions checkpoint goes, its directory made ready; null when there is nowhere. */
export function sessionsCheckpointPath(stateDir: string, env: Readonly<Record<string, string | undefined>>): string | null {
  try {
    ensureOwnDirSync(stateDir, 0o755);
    return `${stateDir}/${sessionsCheckpointName}`;
  } catch {
    if ((process.geteuid?.() ?? 0) === 0) return null;
  }
  const cache = env['XDG_CACHE_HOME'] || (env['HOME'] ? `${env['HOME']}/.cache` : null);
  if (!cache?.startsWith('/')) return null;
  try {
    ensureOwnDirSync(cache, 0o700);
    ensureOwnDirSync(`${cache}/logsphere`, 0o700);
    return `${cache}/logsphere/${sessionsCheckpointName}`;
  } catch {
    return null;
  }
}
