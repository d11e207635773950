// The fleet store's records as an input of the queries (src/queries/history.ts): the lines it
// keeps are the lines the hosts wrote, so the same reconciler answers from them as from files,
// and `last --db` equals `last --input` on the same records, whatever order they arrived in.

import type { ReadResult } from '../input/inputs.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { parseRecordLine } from '../record/validate.ts';
import type { RecordSource } from '../queries/history.ts';
import type { Db } from './db.ts';
import { fleetContacts } from './heartbeat.ts';
import { checkSchema } from './schema.ts';

/**
 * The records a query needs (of `host`, or every host), in time order, as an input named `name`:
 * all of them, or for the current sessions (`current`) those that decide which sessions are
 * open: the records of the sessions no named close was loaded for (logsphere.open_sessions), the
 * boots and shutdowns that may have ended them, and the closes without a session id that may
 * pair with them. The same reconciler then gives the same answer as from everything.
 */
export async function fleetRecords(db: Db, host: string | null, name: string, what: 'all' | 'current' = 'all'): Promise<RecordSource> {
  await checkSchema(db);
  const onHost = host === null ? '' : 'AND host = $1';
  const query =
    what === 'all'
      ? `SELECT line FROM logsphere.events WHERE true ${onHost} ORDER BY ts, event_id`
      : `SELECT line FROM (
           SELECT line, ts, event_id FROM logsphere.events WHERE session_id IN (SELECT session_id FROM logsphere.open_sessions WHERE true ${onHost}) ${onHost}
           UNION ALL SELECT line, ts, event_id FROM logsphere.events WHERE event IN ('boot', 'shutdown') ${onHost}
           UNION ALL SELECT line, ts, event_id FROM logsphere.events WHERE event = 'session_close' AND session_id IS NULL ${onHost}
         ) AS needed ORDER BY ts, event_id`;
  const r = await db.query<{ line: string }>(query, host === null ? [] : [host]);
  const lines = r.rows.map((row) => row.line);
  let beginning: Micros | null = null;
  for (const line of lines) {
    const record = parseRecordLine(line);
    if (record === null) continue;
    beginning = parseTimestamp(record.ts);
    break;
  }
  const { lastContact, alive } = await fleetContacts(db);
  return {
    name,
    beginning,
    alive,
    lastContact,
    read: (_paths, onRecord: (record: LogRecord) => void): ReadResult => {
      let malformed = 0;
      for (const line of lines) {
        const record = parseRecordLine(line);
        if (record !== null) onRecord(record);
        else malformed++;
      }
      return { malformed: malformed > 0 ? [{ path: name, count: malformed }] : [], damaged: [], skipped: [] };
    },
  };
}
