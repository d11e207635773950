// Checkpoint files, one rule for all of them: a missing file is no checkpoint; one that cannot
// be read, is not JSON or is not a checkpoint of this kind and version is an error naming its
// path (a caller whose checkpoint is only a cache may then go on without it). They are written
// whole and durably (temp file created O_EXCL|O_NOFOLLOW, fsync, rename), mode 0600, in a
// directory owned by the writer: they hold records, as sensitive as the log.
//
// The sessions checkpoint lives in the state directory when it belongs to this user (root
// creates it when missing, 0755, as the installer does), else, for any other user, in a per-user
// cache directory (a member of group adm reads the log, but the state directory is root's). Root
// never falls back to HOME: sudo may keep a user's HOME, and that user's links there would aim
// root's writes; without its state directory root goes on without a checkpoint. Without any
// place, `sessions` still answers, reading the whole log, and says why on stderr.

import { readTextNoFollow } from '../sys/fs.ts';
import { errorCode, RefusedPathError } from '../store/errors.ts';
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

export const sessionsCheckpointName = 'sessions.checkpoint';

/** Where the sessions checkpoint goes: its path, or why there is none. */
export type CheckpointPlace = { path: string } | { path: null; why: string };

/** Why a directory cannot hold a checkpoint, in words. */
function unusable(dir: string, error: unknown): string {
  if (error instanceof RefusedPathError) return `${dir} is ${error.message.slice(`Refusing to write through ${error.path}: `.length)}`;
  const code = errorCode(error);
  if (code === 'ENOENT') return `cannot create ${dir}: its parent directory is missing`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot create or use ${dir}: permission denied (${code})`;
  return `cannot create or use ${dir}: ${code ?? String(error)}`;
}

/**
 * Where the sessions checkpoint goes, its directory made ready (see the header): the state
 * directory, made when missing (its parent must exist); for a user other than root whose state
 * directory is not theirs, `$XDG_CACHE_HOME/logsphere` or `$HOME/.cache/logsphere` (0700).
 */
export function sessionsCheckpointPath(stateDir: string, env: Readonly<Record<string, string | undefined>>, euid = process.geteuid?.() ?? 0): CheckpointPlace {
  let state: string;
  try {
    ensureOwnDirSync(stateDir, 0o755);
    return { path: `${stateDir}/${sessionsCheckpointName}` };
  } catch (error) {
    state = unusable(stateDir, error);
  }
  if (euid === 0) return { path: null, why: `${state} (root keeps it in the state directory only, never under HOME)` };
  // The XDG base directory rule: a relative path is not one, and is passed over.
  const cache = [env['XDG_CACHE_HOME'], env['HOME'] ? `${env['HOME']}/.cache` : undefined].find((dir) => dir?.startsWith('/'));
  if (cache === undefined) return { path: null, why: `${state}, and neither XDG_CACHE_HOME nor HOME names a cache directory` };
  const dir = `${cache}/logsphere`;
  for (const each of [cache, dir]) {
    try {
      ensureOwnDirSync(each, 0o700);
    } catch (error) {
      return { path: null, why: `${state}, and ${unusable(each, error)}` };
    }
  }
  return { path: `${dir}/${sessionsCheckpointName}` };
}
