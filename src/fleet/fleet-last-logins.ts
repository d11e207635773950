// The fleet store's records that `lastlog --db` needs, as an input of the last-logins query
// (src/queries/last-logins.ts): for each host and user, the latest session_open of a login service
// (the switch services left out in the query, so that a later sudo does not hide the login), the
// records of that session (its close names the pty of an ssh login), and the closes without a
// session id on that host for that user since then (one of them may be its close). The query
// then answers from them as it does from every record.

import { formatTimestamp, parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import type { ReadResult } from '../input/inputs.ts';
import type { RecordSource } from '../queries/record-source.ts';
import { parseRecordLine } from '../record/validate.ts';
import type { Db } from './db.ts';
import { checkSchema } from './schema.ts';

export interface FleetLastLoginsRequest {
  host: string | null;
  /** Only the logins of this user name. */
  user: string | null;
  /** Only logins at or after this instant. */
  since: Micros | null;
  /** The services whose sessions are user switches, not logins. */
  switchServices: readonly string[];
}

export async function fleetLastLoginRecords(db: Db, request: FleetLastLoginsRequest, name: string): Promise<RecordSource> {
  await checkSchema(db);
  // The services as JSON strings, compared with the line's own text of its service: `->>` would
  // refuse a value with an escaped NUL, and fail the whole query.
  const values: unknown[] = [request.switchServices.map((s) => JSON.stringify(s))];
  const where: string[] = [];
  const add = (condition: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(condition(`$${values.length}`));
  };
  if (request.host !== null) add((n) => `host = ${n}`, request.host);
  // The store's user_name holds no NUL (ship.ts), nor can a command-line argument.
  if (request.user !== null) add((n) => `user_name = ${n}`, request.user);
  if (request.since !== null) add((n) => `ts >= ${n}::timestamptz`, formatTimestamp(request.since));
  // Ties of one instant go to the greatest session id, as the reconciler orders them.
  const query = `
    WITH latest AS (
      SELECT DISTINCT ON (host, user_name) session_id, host, user_name, ts FROM logsphere.events
      WHERE event = 'session_open' AND session_id IS NOT NULL AND NOT ((line::json -> 'service')::text = ANY ($1::text[]))
        ${where.map((w) => `AND ${w}`).join(' ')}
      ORDER BY host, user_name, ts DESC, session_id DESC
    )
    SELECT line FROM (
      SELECT e.line, e.ts, e.event_id FROM logsphere.events e WHERE e.session_id IN (SELECT session_id FROM latest)
      UNION ALL
      SELECT e.line, e.ts, e.event_id FROM logsphere.events e JOIN latest l ON e.host = l.host AND e.user_name = l.user_name AND e.ts >= l.ts
      WHERE e.event = 'session_close' AND e.session_id IS NULL
    ) AS needed ORDER BY ts, event_id`;
  const r = await db.query<{ line: string }>(query, values);
  const records = r.rows.map((row) => parseRecordLine(row.line));
  let earliest = Infinity;
  for (const record of records) if (record?.event === 'session_open') earliest = Math.min(earliest, parseTimestamp(record.ts) ?? Infinity);
  return {
    name,
    beginning: null,
    // Only the latest logins are read: the closes without a session id that belong to other
    // sessions are not closes without an open, which a cut before the earliest login says.
    ...(Number.isFinite(earliest) ? { cut: earliest - 1 } : {}),
    read: (_paths, onRecord: (record: LogRecord) => void): ReadResult => {
      let malformed = 0;
      for (const record of records) {
        if (record !== null) onRecord(record);
        else malformed++;
      }
      return { malformed: malformed > 0 ? [{ path: name, count: malformed }] : [], damaged: [], skipped: [] };
    },
  };
}
