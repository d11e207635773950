// The checkpoint of `logsphere watch` in the state directory: where in the log it is, the rule
// engine's state, and the alerts raised but not yet delivered everywhere (an outbox). It is
// written before alerts go out and again after: a restart neither evaluates a record twice nor
// skips one, and delivers what a stop interrupted. Written atomically and synced (temp file,
// fsync, rename), mode 0600.

import { readFileSync } from 'node:fs';
import { ensureOwnDirSync, replaceFileSync } from '../store/atomic-file.ts';
import type { TailPosition } from '../input/tail.ts';
import type { Alert, EngineState } from './engine.ts';

export const watchCheckpointName = 'watch.checkpoint.json';

export interface PendingAlert {
  alert: Alert;
  /** Channels still to deliver to. */
  to: Array<'stdout' | 'webhook' | 'mail'>;
}

export interface WatchCheckpoint {
  version: 1;
  /** The log followed; a checkpoint of another log is not used. */
  log: string;
  position: TailPosition | null;
  /** The event id of the last record read (for people reading the file). */
  lastEventId: string | null;
  engine: EngineState;
  pending: PendingAlert[];
  alertsRaised: number;
}

export function loadWatchCheckpoint(path: string, log: string): WatchCheckpoint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const value = JSON.parse(text) as WatchCheckpoint;
  if (value?.version !== 1 || value.engine?.version !== 1 || !Array.isArray(value.pending)) throw new Error(`Cannot use the checkpoint ${path}: not a watch checkpoint of this version`);
  return value.log === log ? value : null;
}

export function saveWatchCheckpoint(path: string, checkpoint: WatchCheckpoint): void {
  ensureOwnDirSync(path.slice(0, path.lastIndexOf('/')), 0o755);
  replaceFileSync(path, JSON.stringify(checkpoint), 0o600);
}
