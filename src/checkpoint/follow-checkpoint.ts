// The checkpoint of `logsphere follow --checkpoint NAME`: in the state directory as
// follow-NAME.json, the log followed, the output format, the position (file identity, offset
// and the bytes before it) and the event id of the last record put out. Written atomically and
// synced (temp file, fsync, rename), mode 0600.

import { readFileSync } from 'node:fs';
import type { OutputFormat } from '../export/formats.ts';
import type { TailPosition } from '../input/tail.ts';
import { ensureOwnDirSync, replaceFileSync } from '../store/atomic-file.ts';

export interface FollowCheckpoint {
  version: 1;
  log: string;
  format: OutputFormat;
  position: TailPosition | null;
  lastEventId: string | null;
  /** Records put out in all, over every run. */
  records: number;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The checkpoint's path; a NAME that could leave the state directory is refused. */
export function followCheckpointPath(stateDir: string, name: string): string {
  if (!namePattern.test(name)) throw new RangeError(`Cannot use the checkpoint name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-'`);
  return `${stateDir}/follow-${name}.json`;
}

export function loadFollowCheckpoint(path: string): FollowCheckpoint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw new Error(`Cannot read the checkpoint ${path}: ${(error as { code?: string }).code ?? String(error)}`);
  }
  let value: FollowCheckpoint;
  try {
    value = JSON.parse(text) as FollowCheckpoint;
  } catch {
    throw new Error(`Cannot use the checkpoint ${path}: not JSON`);
  }
  if (value?.version !== 1 || typeof value.log !== 'string') throw new Error(`Cannot use the checkpoint ${path}: not a follow checkpoint of this version`);
  return value;
}

export function saveFollowCheckpoint(path: string, checkpoint: FollowCheckpoint): void {
  ensureOwnDirSync(path.slice(0, path.lastIndexOf('/')), 0o755);
  replaceFileSync(path, JSON.stringify(checkpoint), 0o600);
}
