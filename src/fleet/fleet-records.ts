// The fleet store's records as an input of the queries (src/queries/history.ts): the lines it
// keeps are the lines the hosts wrote, so the same reconciler answers from them as from files,
// and `last --db` equals `last --input` on the same records, whatever order they arrived in.

import type { ReadResult } from '../input/inputs.ts';
import { formatTimestamp, parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord, SessionCloseRecord } from '../record/types.ts';
import { parseRecordLine } from '../record/validate.ts';
import type { RecordSource } from '../queries/record-source.ts';
import type { Db } from './db.ts';
import { fleetContacts } from './heartbeat.ts';
import { checkSchema } from './schema.ts';
import { orderWindow } from '../input/newest-first.ts';
import { pairingKey } from '../reconcile/reconcile.ts';

/**
 * Which of the store's records a query reads: all (from an instant on, to a cut), those deciding
 * the current sessions, the failed logins, or what a period from an instant on needs (a report).
 */
export type FleetRead = 'all' | 'current' | 'failures' | 'period';

/**
 * What the records of every span a command reads share, asked of the store once per connection:
 * that its schema is this version's, its months, its earliest record (of a host), and its hosts'
 * contacts.
 */
interface Known {
  checked?: Promise<void>;
  beginning: Map<string | null, Promise<Micros | null>>;
  contacts?: ReturnType<typeof fleetContacts>;
  months?: Promise<Array<[string, string]>>;
}
const known = new WeakMap<Db, Known>();

function knownOf(db: Db): Known {
  let k = known.get(db);
  if (k === undefined) known.set(db, (k = { beginning: new Map() }));
  return k;
}

/** Refuses a schema of another version, asked once per connection. */
function schemaChecked(db: Db): Promise<void> {
  const k = knownOf(db);
  return (k.checked ??= checkSchema(db));
}

/**
 * The store's months (its partitions of events, `events_YYYY_MM`), oldest first, as the bounds of
 * each: a query bounded by constants is planned for the months it names only, where one over all
 * of events is planned for every month and every index of each (some 60 ms over ten years). Empty
 * when a partition was made otherwise than by ensure_month (its bounds are not in its name).
 */
function months(db: Db): Promise<Array<[string, string]>> {
  const k = knownOf(db);
  return (k.months ??= monthsOf(db));
}

async function monthsOf(db: Db): Promise<Array<[string, string]>> {
  const r = await db.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'logsphere.events'::regclass ORDER BY c.relname",
  );
  const bounds: Array<[string, string]> = [];
  for (const { name } of r.rows) {
    const m = /^events_(\d{4})_(\d{2})$/.exec(name);
    if (m === null) return [];
    const [year, month] = [Number(m[1]), Number(m[2])];
    bounds.push([new Date(Date.UTC(year, month - 1, 1)).toISOString(), new Date(Date.UTC(year, month, 1)).toISOString()]);
  }
  return bounds;
}

/**
 * The earliest or latest record time (of `host`), in microseconds; null for no record. Asked of
 * the months from that end: the first alone, then twice as many each time, so that months
 * without records cost little and a store whose first month holds records is asked once.
 */
async function extreme(db: Db, host: string | null, which: 'min' | 'max'): Promise<Micros | null> {
  const ask = async (bounds: [string, string] | null): Promise<Micros | null> => {
    const values: unknown[] = host === null ? [] : [host];
    let where = host === null ? 'true' : 'host = $1';
    if (bounds !== null) {
      values.push(...bounds);
      where += ` AND ts >= $${values.length - 1}::timestamptz AND ts < $${values.length}::timestamptz`;
    }
    const r = await db.query<{ at: string | null }>(`SELECT (extract(epoch FROM ${which}(ts)) * 1000000)::bigint::text AS at FROM logsphere.events WHERE ${where}`, values);
    const at = r.rows[0]?.at;
    return at == null ? null : Number(at);
  };
  const all = [...(await months(db))];
  if (all.length === 0) return ask(null);
  if (which === 'max') all.reverse();
  for (let k = 0, n = 1; k < all.length; k += n, n *= 2) {
    const group = all.slice(k, k + n);
    const [first, last] = [group[0] as [string, string], group.at(-1) as [string, string]];
    const at = await ask(which === 'min' ? [first[0], last[1]] : [last[0], first[1]]);
    if (at !== null) return at;
  }
  return null;
}

/** When the store's newest record (of `host`) was written; null for an empty store. */
export async function newestRecord(db: Db, host: string | null): Promise<Micros | null> {
  await schemaChecked(db);
  return extreme(db, host, 'max');
}

/**
 * Of the boots, shutdowns and closes without a session id that may have ended the sessions of
 * `opens` (of `host`), in time order: only those their host recorded from its earliest open on.
 * One before every open of its host ends none (the reconciler pairs such a close with no open,
 * and for the current sessions counts no orphans), and a store keeps every boot of every host for
 * years, which `sessions` must not read. Of two records with one event id the earlier counts,
 * among those a full read would meet (of the host asked for).
 */
function endingsOf(db: Db, opens: ReadonlyArray<LogRecord | null>, host: string | null) {
  const earliest = new Map<string, Micros>();
  for (const r of opens) {
    if (r === null) continue;
    const at = parseTimestamp(r.ts) ?? 0;
    const known = earliest.get(r.host);
    if (known === undefined || at < known) earliest.set(r.host, at);
  }
  return db.query<{ line: string }>(
    `SELECT e.line FROM unnest($1::text[], $2::timestamptz[]) AS o(host, ts)
     JOIN logsphere.ending_events e ON e.host = o.host AND e.ts >= o.ts
     WHERE NOT EXISTS (SELECT 1 FROM logsphere.ending_events y WHERE y.event_id = e.event_id AND y.ts < e.ts ${host === null ? '' : 'AND y.host = $3'})
     ORDER BY e.ts, e.event_id`,
    [[...earliest.keys()], [...earliest.values()].map(formatTimestamp), ...(host === null ? [] : [host])],
  );
}

/**
 * Of the opens a close without a session id among `endings` may pair with, those `opens` (the
 * sessions that may be open) lack. A close pairs with the latest earlier open of its process that
 * has no close (reconcile.ts, pairUnnamed), which may be one a boot or shutdown ended, and then
 * not an open session. Only such opens from the earliest open session of that process on change
 * which open sessions the closes pair with: an older one is taken only when every later one up to
 * the close is. So, for each close of the process of an open session: the opens of its host and
 * user from the earliest such session up to the close, with no close stored and not among the open
 * sessions, of its process.
 */
async function pairableOpens(db: Db, endings: ReadonlyArray<LogRecord | null>, opens: ReadonlyArray<LogRecord | null>): Promise<LogRecord[]> {
  const closes = endings.filter((r): r is SessionCloseRecord => r !== null && r.event === 'session_close' && r.session_id === null);
  if (closes.length === 0) return [];
  // The earliest open session of each process.
  const earliest = new Map<string, Micros>();
  for (const o of opens) {
    if (o === null || o.event !== 'session_open') continue;
    const key = pairingKey(o);
    const at = parseTimestamp(o.ts) ?? 0;
    if (at < (earliest.get(key) ?? Infinity)) earliest.set(key, at);
  }
  const asked = closes.filter((c) => earliest.has(pairingKey(c)));
  if (asked.length === 0) return [];
  const r = await db.query<{ line: string }>(
    `SELECT DISTINCT e.line FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS k(event_id, ts, since)
     JOIN logsphere.events c ON c.event_id = k.event_id AND c.ts = k.ts
     JOIN logsphere.events e ON e.host = c.host AND e.user_name IS NOT DISTINCT FROM c.user_name AND e.ts >= k.since AND e.ts <= c.ts
       AND e.event = 'session_open' AND e.session_id IS NOT NULL
     WHERE NOT EXISTS (SELECT 1 FROM logsphere.events n WHERE n.session_id = e.session_id AND n.event = 'session_close')
       AND NOT EXISTS (SELECT 1 FROM logsphere.open_sessions s WHERE s.session_id = e.session_id)`,
    [asked.map((c) => c.event_id), asked.map((c) => c.ts), asked.map((c) => formatTimestamp(earliest.get(pairingKey(c)) as Micros))],
  );
  // Of a record stored twice (one event id at two times), both copies: the reconciler takes the earlier.
  const known = new Set(opens.map((o) => (o === null ? '' : `${o.event_id} ${o.ts}`)));
  const keys = new Set(asked.map(pairingKey));
  const more: LogRecord[] = [];
  for (const row of r.rows) {
    const record = parseRecordLine(row.line);
    if (record === null || record.event !== 'session_open' || !keys.has(pairingKey(record)) || known.has(`${record.event_id} ${record.ts}`)) continue;
    known.add(`${record.event_id} ${record.ts}`);
    more.push(record);
  }
  return more;
}

/**
 * What a period from `values`' last (an instant) needs of the store (of `host`), in time order:
 * the reconciler's answer for the period is the same as from everything, but for closes without
 * an open before it, which are not counted (as a log directory's report read newest first does
 * not). Everything from the order window before the instant on (a failed login written twice
 * within it counts once); of what came before, the records of the sessions not over by then:
 *  - every record of a session with an open or close from then on (its open, its copies, a close
 *    dated before its open);
 *  - the opens no named close was ever loaded for (open still, or ended by a boot, a shutdown or a
 *    close without an id): the one read over all that came before, which the store does itself;
 *  - of the boots, shutdowns and closes without an id, those of each host from its earliest such
 *    open on (one before ends none of them), the boots before a shutdown from then on, whose
 *    kernel the shutdown's line names, and the earlier copies of all those and of those from then
 *    on (the earliest counts).
 * A failed login written again after more than the window is counted at its later copy: the
 * store cannot find the earlier by its event id alone without reading every month.
 * Sessions over before the period, and failed logins before it, are left out: it would not count them.
 */
function periodQuery(values: unknown[], host: string | null): string {
  const at = `$${values.length}::timestamptz - interval '${orderWindow / 1e6} seconds'`;
  const on = (table: string) => (host === null ? '' : `AND ${table}.host = $1`);
  return `WITH later AS (
      SELECT line, ts, event_id, session_id, event, host FROM logsphere.events a WHERE a.ts >= ${at} ${on('a')}
    ), earlier AS (
      SELECT b.line, b.ts, b.event_id, b.host, b.event FROM later a JOIN logsphere.events b ON b.session_id = a.session_id AND b.ts < ${at}
      WHERE a.session_id IS NOT NULL AND a.event IN ('session_open', 'session_close')
      UNION SELECT o.line, o.ts, o.event_id, o.host, o.event FROM logsphere.events o WHERE o.event = 'session_open' AND o.ts < ${at} ${on('o')}
        AND NOT EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = o.session_id AND c.event = 'session_close')
    ), reach AS MATERIALIZED (
      SELECT host, min(ts) AS ts FROM earlier WHERE event = 'session_open' GROUP BY host
    ), reached AS MATERIALIZED (
      SELECT e.line, e.ts, e.event_id FROM logsphere.ending_events e JOIN reach r ON r.host = e.host AND e.ts >= r.ts WHERE e.ts < ${at} ${on('e')}
      UNION SELECT e.line, e.ts, e.event_id FROM logsphere.ending_events e WHERE e.event = 'boot' AND e.ts < ${at} ${on('e')}
        AND e.host IN (SELECT s.host FROM later s WHERE s.event = 'shutdown')
    ), endings AS (
      SELECT line, ts, event_id FROM reached
      UNION SELECT e.line, e.ts, e.event_id FROM (
        SELECT event_id, ts FROM reached
        UNION ALL SELECT event_id, ts FROM later WHERE event IN ('boot', 'shutdown') OR (event = 'session_close' AND session_id IS NULL)
      ) AS k JOIN logsphere.ending_events e ON e.event_id = k.event_id AND e.ts < k.ts AND e.ts < ${at}
    )
    SELECT line FROM (
      SELECT line, ts, event_id FROM later
      UNION ALL SELECT line, ts, event_id FROM earlier
      UNION ALL SELECT line, ts, event_id FROM endings
    ) AS needed ORDER BY ts, event_id`;
}

/**
 * The records a query needs (of `host`, or every host), in time order, as an input named `name`:
 * all of them (from `from` on), the failed logins, or for the current sessions (`current`) those
 * that decide which sessions are open: the earliest opens of the sessions no named close was
 * loaded for (logsphere.open_sessions), and the boots, shutdowns and closes without a session id
 * that may have ended them (logsphere.ending_events). The same reconciler then gives the same
 * answer as from everything.
 */
export async function fleetRecords(db: Db, host: string | null, name: string, what: FleetRead = 'all', from: Micros | null = null): Promise<RecordSource> {
  await schemaChecked(db);
  // A period from the beginning needs everything.
  if (what === 'period' && from === null) what = 'all';
  const k = knownOf(db);
  const values: unknown[] = host === null ? [] : [host];
  const onHost = host === null ? '' : 'AND host = $1';
  // From `from` on only: the sessions begun since are whole.
  let fromOn = (_table = '') => '';
  let beforeFrom = '';
  if (from !== null) {
    values.push(formatTimestamp(from));
    const n = values.length;
    fromOn = (table = '') => `AND ${table}ts >= $${n}::timestamptz`;
    beforeFrom = `AND ts < $${n}::timestamptz`;
  }
  const query =
    what === 'all'
      ? from === null
        ? `SELECT line FROM logsphere.events WHERE true ${onHost} ORDER BY ts, event_id`
        : // And of what came before, what the lines from then on take from there: the kernel a
          // shutdown ended, from the host's earlier boots (history.ts, systemLines), for the hosts
          // with a shutdown from then on. Nothing else before ends or changes those lines.
          `SELECT line FROM (
             SELECT line, ts, event_id FROM logsphere.events WHERE true ${fromOn()} ${onHost}
             UNION ALL SELECT line, ts, event_id FROM logsphere.ending_events b
             WHERE event = 'boot' ${beforeFrom} ${onHost}
               AND EXISTS (SELECT 1 FROM logsphere.ending_events s WHERE s.event = 'shutdown' AND s.host = b.host ${fromOn('s.')})
           ) AS needed ORDER BY ts, event_id`
      : what === 'period'
        ? periodQuery(values, host)
        : what === 'failures'
        ? `SELECT line FROM logsphere.events WHERE event = 'auth_failure' ${fromOn()} ${onHost} ORDER BY ts, event_id`
        : // The open sessions in any order (one row per session id: the reconciler's answer does
          // not depend on their order), which spares the store a sort of every open's line; then
          // what may have ended them (endingsOf).
          `SELECT line FROM logsphere.open_sessions WHERE true ${onHost}`;
  // A period's query over every month looks costly to the planner, whose JIT compilation would
  // then take longer than the query (as in the loader's functions, schema.ts).
  // (In a transaction of its own, the setting with it: a pooler may hand the next one elsewhere.)
  if (what === 'period') await db.query('BEGIN READ ONLY; SET LOCAL jit = off');
  const r = await db.query<{ line: string }>(query, values);
  if (what === 'period') await db.query('COMMIT');
  const lines = r.rows.map((row) => row.line);
  // The current sessions' records, parsed as they come (null: not a record).
  let current: Array<LogRecord | null> | undefined;
  if (what === 'current') {
    const opens = lines.map(parseRecordLine);
    lines.length = 0;
    const endings = (await endingsOf(db, opens, host)).rows.map((row) => parseRecordLine(row.line));
    // And the sessions a boot or shutdown ended that a close without an id may pair with instead
    // (what ended them is among the endings: they are no older than an open session).
    current = [...opens, ...(await pairableOpens(db, endings, opens)), ...endings];
  }
  // `sessions` names no beginning.
  let beginning: Micros | null = null;
  if (what !== 'current') {
    let earliest = k.beginning.get(host);
    if (earliest === undefined) k.beginning.set(host, (earliest = extreme(db, host, 'min')));
    beginning = await earliest;
  }
  const { lastContact, alive } = await (k.contacts ??= fleetContacts(db));
  let parsed: Array<LogRecord | null> | undefined;
  return {
    name,
    beginning,
    alive,
    lastContact,
    // Read from `from` on, the lines at or before the instant before it may lack records.
    ...(from === null || what !== 'all' ? {} : { cut: from - 1 }),
    ...(what === 'current' ? { currentOnly: true } : {}),
    ...(what === 'period' && from !== null ? { since: from } : {}),
    read: (_paths, onRecord: (record: LogRecord) => void): ReadResult => {
      // Parsed once, where a query may read its source more than once.
      let malformed = 0;
      const take = (record: LogRecord | null) => {
        if (record !== null) onRecord(record);
        else malformed++;
      };
      for (const record of current ?? (parsed ??= lines.map(parseRecordLine))) take(record);
      return { malformed: malformed > 0 ? [{ path: name, count: malformed }] : [], damaged: [], skipped: [] };
    },
  };
}
