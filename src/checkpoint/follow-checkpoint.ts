// The checkpoint of `logsphere follow --checkpoint NAME`: in the state directory as
// follow-NAME.json, the log followed, the output format, the position (file identity, offset
// and the bytes before it) and the event id of the last record put out. Written atomically and
// synced (temp file, fsync, rename), mode 0600.

import type { OutputFormat } from '../export/formats.ts';
import type { TailPosition } from '../input/tail.ts';
import { loadCheckpointFile, namedCheckpointPath, saveCheckpointFile } from './checkpoint-file.ts';

export interface FollowCheckpoint {
  version: 1;
  log: string;
  format: OutputFormat;
  position: TailPosition | null;
  lastEventId: string | null;
  /** Records put out in all, over every run. */
  records: number;
}

/** The checkpoint's path; a NAME that could leave the state directory is refused. */
export function followCheckpointPath(stateDir: string, name: string): string {
  return namedCheckpointPath(stateDir, 'follow', name);
}

function isFollowCheckpoint(value: unknown): value is FollowCheckpoint {
  const v = value as Partial<FollowCheckpoint> | null;
  return v?.version === 1 && typeof v.log === 'string';
}

export function loadFollowCheckpoint(path: string): FollowCheckpoint | null {
  return loadCheckpointFile(path, 'follow', isFollowCheckpoint);
}

export function saveFollowCheckpoint(path: string, checkpoint: FollowCheckpoint): void {
  saveCheckpointFile(path, checkpoint);
}
