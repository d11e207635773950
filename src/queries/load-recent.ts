// Reads and reconciles only the newest part of the logs (src/input/newest-first.ts), for the
// queries about the recent past: the sessions of what was read, with the read's cut, or null
// when the logs were found out of order and the caller must read everything.

import type { Config } from '../config/config.ts';
import type { NewestFirstRead } from '../input/newest-first.ts';
import type { RecordColumns } from '../input/record-columns.ts';
import { readWholeLogs } from '../input/whole-logs.ts';
import { SegmentIndex } from '../input/segment-index.ts';
import { segmentColumns } from '../input/segment-columns.ts';
import { embeddedColumnsWorker } from '../bundle/columns-worker-text.ts';
import type { Micros } from '../record/time.ts';
import { Reconciler } from '../reconcile/reconcile.ts';
import type { Liveness } from '../reconcile/types.ts';
import type { LogRecord } from '../record/types.ts';
import type { Progress } from '../text/progress.ts';
import { warningsOf, withDefaultNamed, type Loaded } from './load-sessions.ts';

export function loadRecent(
  paths: readonly string[],
  config: Config,
  alive: Liveness,
  also: (record: LogRecord) => void,
  read: (onRecord: (record: LogRecord) => void, onColumns: (columns: RecordColumns) => void) => NewestFirstRead,
  alsoColumns: (columns: RecordColumns) => void = () => {},
): { loaded: Loaded; read: NewestFirstRead } | null {
  const reconciler = new Reconciler({ switchServices: config.switchServices });
  const result = withDefaultNamed(config, () =>
    read(
      (r) => {
        reconciler.add(r);
        also(r);
      },
      (c) => {
        reconciler.addColumns(c);
        alsoColumns(c);
      },
    ),
  );
  if (result.disorder) return null;
  const reconciled = reconciler.finish(alive);
  // Read to a cut, a close whose open lies before it is not an orphan: only a whole read counts them.
  return { loaded: { ...reconciled, warnings: warningsOf(result, reconciled, result.cut === null), incomplete: result.damaged.length > 0 }, read: result };
}

/**
 * Reads and reconciles every record of logs (directories), the rotated segments from their
 * columns in the segment index where it has them: a whole history without parsing it again.
 */
export function loadWhole(paths: readonly string[], config: Config, alive: Liveness, progress?: Progress): { loaded: Loaded; beginning: (path: string) => Micros | null } {
  const reconciler = new Reconciler({ switchServices: config.switchServices });
  const index = new SegmentIndex(config.stateDir);
  const result = withDefaultNamed(config, () =>
    readWholeLogs(paths, (r) => reconciler.add(r), (c) => reconciler.addColumns(c), (segments) => segmentColumns(index, config.stateDir, segments, embeddedColumnsWorker), progress),
  );
  const reconciled = reconciler.finish(alive);
  return { loaded: { ...reconciled, warnings: warningsOf(result, reconciled), incomplete: result.damaged.length > 0 }, beginning: result.beginning };
}
