// Records from elsewhere than the log's files (the fleet store, src/fleet/fleet-records.ts): what a
// query needs to read them as one more input. Apart from history.ts, so that `sessions` loads
// only this, not the history machinery.

import type { Liveness } from '../reconcile/types.ts';
import type { Micros } from '../record/time.ts';
import type { RecordReader } from './load-sessions.ts';

/** Records read by their own reader (the fleet store's, src/fleet/fleet-records.ts), named as an input. */
export interface RecordSource {
  name: string;
  read: RecordReader;
  /** Its earliest record, for the closing `… begins` line. */
  beginning: Micros | null;
  /** Whether a session's processes run, as its host last said (null: not said); else as seen here. */
  alive?: Liveness;
  /** When each host was last heard from (the fleet store's heartbeats). */
  lastContact?: ReadonlyMap<string, Micros>;
  /** Read from an instant on: the lines at or before this one may lack records, and are left out. */
  cut?: Micros;
  /**
   * Holds what a period from this instant needs, not the sessions over before it: a close whose
   * open is not among them is not counted as one without an open.
   */
  since?: Micros;
  /**
   * Only the records that decide which sessions are open now (the fleet store's candidates): a
   * close without an id whose open is not among them ended a session already over, not an orphan.
   */
  currentOnly?: boolean;
}

/** A source's liveness where it knows, else this host's. */
export function sourceLiveness(source: RecordSource, local: Liveness): Liveness {
  const told = source.alive;
  return told === undefined ? local : (s) => told(s) ?? local(s);
}
