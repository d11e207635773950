// The fleet store's records that `lastlog --db` needs, as an input of the last-logins query
// (src/queries/last-logins.ts): for each host and user, the latest session_open of a login service
// (the switch services left out in the query, so that a later sudo does not hide the login), the
// records of that session (its close names the pty of an ssh login), and the closes without a
// session id on that host for that user since then (one of them may be its close). The query
// then answers from them as it does from every record.

import { formatTimestamp, type Micros } from '../record/time.ts';
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
  // Ties of one instant go to the greatest session id, as the reconciler orders them. The records
  // in any order: the reconciler's answer does not depend on it, and a sort of every one is seconds.
  const query = `
    WITH latest AS (
      SELECT DISTINCT ON (host, user_name) session_id, host, user_name, ts FROM logsphere.events
      WHERE event = 'session_open' AND session_id IS NOT NULL AND NOT ((line::json -> 'service')::text = ANY ($1::text[]))
        ${where.map((w) => `AND ${w}`).join(' ')}
      ORDER BY host, user_name, ts DESC, session_id DESC
    )
    SELECT line, CASE WHEN event = 'session_open' THEN (extract(epoch FROM ts) * 1000000)::bigint::text END AS opened FROM (
      SELECT e.line, e.ts, e.event_id, e.event FROM latest l JOIN logsphere.events e ON e.session_id = l.session_id
      UNION ALL
      SELECT e.line, e.ts, e.event_id, e.event FROM logsphere.events e JOIN latest l ON e.host = l.host AND e.user_name = l.user_name AND e.ts >= l.ts
      WHERE e.event = 'session_close' AND e.session_id IS NULL
    ) AS needed`;
  // Every host's and user's latest login: as many sessions as the store holds pairs of them, each
  // found by its id in every month's index, would take longer than one read of every month (the
  // planner cannot tell how many there are). Narrowed to a host or a user, a few, found by their ids.
  // (In a transaction of its own, the setting with it: a pooler may hand the next one elsewhere.)
  const everyone = request.host === null && request.user === null;
  if (everyone) await db.query('BEGIN READ ONLY; SET LOCAL enable_nestloop = off');
  // The lines as they come, kept as text (parsed as they are read): a record parsed takes more
  // room than its line, and the answer may hold every session of a year.
  let lines: string[] | null = [];
  let earliest = Infinity;
  const kept = lines;
  await db.each<{ line: string; opened: string | null }>(query, values, ({ line, opened }) => {
    kept.push(line);
    if (opened !== null) earliest = Math.min(earliest, Number(opened));
  });
  if (everyone) await db.query('COMMIT');
  return {
    name,
    beginning: null,
    // Only the latest logins are read: the closes without a session id that belong to other
    // sessions are not closes without an open, which a cut before the earliest login says.
    ...(Number.isFinite(earliest) ? { cut: earliest - 1 } : {}),
    read: (_paths, onRecord: (record: LogRecord) => void): ReadResult => {
      // Read once (lastlog reconciles its records once), each line let go as it is read.
      if (lines === null) throw new Error('the latest logins are read once');
      let malformed = 0;
      for (let k = 0; k < lines.length; k++) {
        const record = parseRecordLine(lines[k] as string);
        lines[k] = '';
        if (record !== null) onRecord(record);
        else malformed++;
      }
      lines = null;
      return { malformed: malformed > 0 ? [{ path: name, count: malformed }] : [], damaged: [], skipped: [] };
    },
  };
}
