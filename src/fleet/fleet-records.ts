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

/** The store's records (of `host`, or every host), in time order, as an input named `name`. */
export async function fleetRecords(db: Db, host: string | null, name: string): Promise<RecordSource> {
  await checkSchema(db);
  const r = await db.query<{ line: string }>(
    host === null ? 'SELECT line FROM logsphere.events ORDER BY ts, event_id' : 'SELECT line FROM logsphere.events WHERE host = $1 ORDER BY ts, event_id',
    host === null ? [] : [host],
  );
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
