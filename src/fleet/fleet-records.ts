// The fleet store's records as an input of the queries (src/queries/history.ts): the lines it
// keeps are the lines the hosts wrote, so the same reconciler answers from them as from files,
// and `last --db` equals `last --input` on the same records, whatever order they arrived in.

import type { ReadResult } from '../input/inputs.ts';
import { formatTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { parseRecordLine } from '../record/validate.ts';
import type { RecordSource } from '../queries/record-source.ts';
import type { Db } from './db.ts';
import { fleetContacts } from './heartbeat.ts';
import { checkSchema } from './schema.ts';

/** Which of the store's records a query reads: all, those deciding the current sessions, the failed logins. */
export type FleetRead = 'all' | 'current' | 'failures';

/** When the store's newest record (of `host`) was written; null for an empty store. */
export async function newestRecord(db: Db, host: string | null): Promise<Micros | null> {
  const r = await db.query<{ at: string | null }>(`SELECT (extract(epoch FROM max(ts)) * 1000000)::bigint::text AS at FROM logsphere.events ${host === null ? '' : 'WHERE host = $1'}`, host === null ? [] : [host]);
  const at = r.rows[0]?.at;
  return at == null ? null : Number(at);
}

/**
 * The records a query needs (of `host`, or every host), in time order, as an input named `name`:
 * all of them, or for the current sessions (`current`) those that decide which sessions are
 * open: the earliest opens of the sessions no named close was loaded for (logsphere.open_sessions), the
 * boots and shutdowns that may have ended them, and the closes without a session id that may
 * pair with them. The same reconciler then gives the same answer as from everything.
 */
export async function fleetRecords(db: Db, host: string | null, name: string, what: FleetRead = 'all', from: Micros | null = null): Promise<RecordSource> {
  await checkSchema(db);
  const values: unknown[] = host === null ? [] : [host];
  const onHost = host === null ? '' : 'AND host = $1';
  // From `from` on only: the sessions begun since are whole.
  let fromOn = '';
  let beforeFrom = '';
  if (from !== null) {
    values.push(formatTimestamp(from));
    fromOn = `AND ts >= $${values.length}::timestamptz`;
    beforeFrom = `AND ts < $${values.length}::timestamptz`;
  }
  const query =
    what === 'all'
      ? from === null
        ? `SELECT line FROM logsphere.events WHERE true ${onHost} ORDER BY ts, event_id`
        : // And every boot and shutdown before: a shutdown line names its boot's kernel.
          `SELECT line FROM (
             SELECT line, ts, event_id FROM logsphere.events WHERE true ${fromOn} ${onHost}
             UNION ALL SELECT line, ts, event_id FROM logsphere.events WHERE event IN ('boot', 'shutdown') ${beforeFrom} ${onHost}
           ) AS needed ORDER BY ts, event_id`
      : what === 'failures'
        ? `SELECT line FROM logsphere.events WHERE event = 'auth_failure' ${fromOn} ${onHost} ORDER BY ts, event_id`
        : `SELECT line FROM (
             SELECT line, ts, event_id FROM logsphere.open_sessions WHERE true ${onHost}
             UNION ALL SELECT line, ts, event_id FROM logsphere.events WHERE event IN ('boot', 'shutdown') ${onHost}
             UNION ALL SELECT line, ts, event_id FROM logsphere.events WHERE event = 'session_close' AND session_id IS NULL ${onHost}
           ) AS needed ORDER BY ts, event_id`;
  const r = await db.query<{ line: string }>(query, values);
  const lines = r.rows.map((row) => row.line);
  const first = await db.query<{ at: string | null }>(`SELECT (extract(epoch FROM min(ts)) * 1000000)::bigint::text AS at FROM logsphere.events WHERE true ${onHost}`, host === null ? [] : [host]);
  const beginning = first.rows[0]?.at == null ? null : Number(first.rows[0].at);
  const { lastContact, alive } = await fleetContacts(db);
  let parsed: Array<LogRecord | null> | undefined;
  return {
    name,
    beginning,
    alive,
    lastContact,
    // Read from `from` on, the lines at or before the instant before it may lack records.
    ...(from === null || what !== 'all' ? {} : { cut: from - 1 }),
    read: (_paths, onRecord: (record: LogRecord) => void): ReadResult => {
      // Parsed once where a history may read its source more than once (last -n counts its lines
      // first); the current sessions are read once, each record let go as soon as it is taken.
      let malformed = 0;
      const take = (record: LogRecord | null) => {
        if (record !== null) onRecord(record);
        else malformed++;
      };
      if (what === 'current') for (const line of lines) take(parseRecordLine(line));
      else for (const record of (parsed ??= lines.map(parseRecordLine))) take(record);
      return { malformed: malformed > 0 ? [{ path: name, count: malformed }] : [], damaged: [], skipped: [] };
    },
  };
}
