// The checkpoint of `logsphere watch` in the state directory: where in the log it is, the rule
// engine's state, and the alerts raised but not yet delivered everywhere (an outbox). It is
// written before alerts go out and again after: a restart neither evaluates a record twice nor
// skips one, and delivers what a stop interrupted. Loaded and saved by the rule of every
// checkpoint (checkpoint-file.ts).
//
// The service's checkpoint (watch.checkpoint.json) belongs to a plain `logsphere watch` of the
// configured log, as the unit runs it; a run of another log (`--input`) or a one-off run
// (`--once`) keeps none unless given a name of its own (watch-NAME.json), so it never takes the
// service's state away.

import type { Alert, EngineState } from '../alerts/engine.ts';
import type { TailPosition } from '../input/tail.ts';
import { loadCheckpointFile, namedCheckpointPath, saveCheckpointFile } from './checkpoint-file.ts';

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

/** Which checkpoint a watch keeps: one of its own by name, the service's, or none. */
export interface WatchCheckpointChoice {
  /** `--checkpoint NAME`; null: none named. */
  name: string | null;
  /** The log file or directory given instead of the configured log; null: the configured log. */
  input: string | null;
  /** A one-off run, to the end of the log. */
  once: boolean;
}

/** The path of the checkpoint a watch keeps in `stateDir`; null when it keeps none. */
export function watchCheckpointPath(stateDir: string, choice: WatchCheckpointChoice): string | null {
  if (choice.name !== null) return namedCheckpointPath(stateDir, 'watch', choice.name);
  return choice.input === null && !choice.once ? `${stateDir}/${watchCheckpointName}` : null;
}

/** The checkpoint at `path`; null when there is none. */
export function loadWatchCheckpoint(path: string): WatchCheckpoint | null {
  return loadCheckpointFile(path, 'watch', isWatchCheckpoint);
}

export function saveWatchCheckpoint(path: string, checkpoint: WatchCheckpoint): void {
  saveCheckpointFile(path, checkpoint);
}
