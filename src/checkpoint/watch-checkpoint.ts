// The checkpoint of `logsphere watch` in the state directory: where in the log it is, the rule
// engine's state, and the alerts raised but not yet delivered everywhere (an outbox). It is
// written before alerts go out and again after: a restart neither evaluates a record twice nor
// skips one, and delivers what a stop interrupted. Loaded and saved by the rule of every
// checkpoint (checkpoint-file.ts).

import type { Alert, EngineState } from '../alerts/engine.ts';
import type { TailPosition } from '../input/tail.ts';
import { loadCheckpointFile, saveCheckpointFile } from './checkpoint-file.ts';

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

function isWatchCheckpoint(value: unknown): value is WatchCheckpoint {
  const v = value as Partial<WatchCheckpoint> | null;
  return v?.version === 1 && typeof v.log === 'string' && v.engine?.version === 1 && Array.isArray(v.pending);
}

/** The checkpoint of watching `log`; null when there is none, or it is of another log. */
export function loadWatchCheckpoint(path: string, log: string): WatchCheckpoint | null {
  const value = loadCheckpointFile(path, 'watch', isWatchCheckpoint);
  return value !== null && value.log === log ? value : null;
}

export function saveWatchCheckpoint(path: string, checkpoint: WatchCheckpoint): void {
  saveCheckpointFile(path, checkpoint);
}
