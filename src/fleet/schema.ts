// The fleet store's schema in PostgreSQL, as numbered steps: `logsphere db migrate` applies the
// steps a database lacks, each in one transaction, and every other command that takes --db
// refuses a database whose schema is of another version (checkSchema).
//
// Everything lives in the schema `logsphere`. Events are partitioned by month on ts; their key is
// (ts, event_id): a record always carries the same ts, so loading it again changes nothing. Lines
// that are not logsphere/1 records go to `quarantine` with their reason and source. Two roles,
// without login (grant them to login roles): logsphere_ship, which can only insert, through
// `logsphere.ensure_month` for the partitions; logsphere_read, which can only read.

import type { Db } from './db.ts';

export const schemaVersion = 7;

/**
 * note_sessions() as version 5 made it: the batch's opens and named closes by their keys
 * (session id, event id, time), their records taken from events.
 */
const noteSessions5 = `CREATE FUNCTION logsphere.note_sessions(p_opens uuid[], p_event_ids uuid[], p_ts timestamptz[], p_close_event_ids uuid[], p_close_ts timestamptz[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- The sessions of the stored closes named (no table of the caller's session is trusted here).
  -- Each looked up by its key (OFFSET 0 keeps it a probe per key: PostgreSQL cannot tell how few
  -- keys an array holds, and would read every month of events instead).
  closed uuid[] := ARRAY(
    SELECT DISTINCT e.session_id FROM unnest(p_close_event_ids, p_close_ts) AS k(event_id, ts) CROSS JOIN LATERAL (
      SELECT x.session_id FROM logsphere.events x
      WHERE x.event_id = k.event_id AND x.ts = k.ts AND x.event = 'session_close' AND x.session_id IS NOT NULL OFFSET 0
    ) AS e);
BEGIN
  DELETE FROM logsphere.open_sessions o USING unnest(closed) AS c(id) WHERE o.session_id = c.id;
  WITH named AS (
    SELECT DISTINCT k.id FROM unnest(p_opens, p_event_ids, p_ts) AS k(id, event_id, ts) CROSS JOIN LATERAL (
      SELECT 1 FROM logsphere.events e
      WHERE e.event_id = k.event_id AND e.ts = k.ts AND e.session_id = k.id AND e.event = 'session_open' OFFSET 0
    ) AS stored
    WHERE NOT EXISTS (SELECT 1 FROM unnest(closed) AS c(id) WHERE c.id = k.id)
  ), opens AS (
    -- Every stored open of each session named (one, but for an open written twice), by the
    -- session id's index.
    SELECT r.* FROM named n CROSS JOIN LATERAL (
      SELECT e.session_id, e.host, e.ts, e.event_id, e.line FROM logsphere.events e
      WHERE e.session_id = n.id AND e.event = 'session_open' OFFSET 0
    ) AS r
  ), earliest AS (
    SELECT DISTINCT ON (session_id) * FROM opens ORDER BY session_id, ts, event_id
  ), judged AS (
    SELECT r.*, (
      EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = r.session_id AND c.event = 'session_close')
      OR EXISTS (SELECT 1 FROM logsphere.ending_events x WHERE x.host = r.host AND x.ts >= r.ts AND x.event IN ('boot', 'shutdown')
        AND NOT EXISTS (SELECT 1 FROM logsphere.ending_events y WHERE y.event_id = x.event_id AND y.ts < x.ts)
        AND logsphere.ends_session(x.event, x.ts, x.line, r.ts, r.line))
    ) AS over FROM earliest r
  ), over AS (
    DELETE FROM logsphere.open_sessions o USING judged j WHERE o.session_id = j.session_id AND j.over
  )
  INSERT INTO logsphere.open_sessions (session_id, host, ts, event_id, line)
    SELECT session_id, host, ts, event_id, line FROM judged WHERE NOT over
    ON CONFLICT (session_id) DO UPDATE SET host = excluded.host, ts = excluded.ts, event_id = excluded.event_id, line = excluded.line;
END $$;`;

/** Version 6's: the closed sessions deleted by the key of open_sessions, and never compiled by JIT. */
const noteSessions6 = edited(noteSessions5, [
  ['CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'],
  ['SET search_path = pg_catalog, pg_temp AS $$', 'SET search_path = pg_catalog, pg_temp SET jit = off AS $$'],
  ['DELETE FROM logsphere.open_sessions o USING unnest(closed) AS c(id) WHERE o.session_id = c.id;', 'DELETE FROM logsphere.open_sessions WHERE session_id = ANY (closed);'],
]);

/** `text` with each of `changes` made once; throws when one is not there. */
function edited(text: string, changes: ReadonlyArray<readonly [string, string]>): string {
  return changes.reduce((t, [from, to]) => {
    if (!t.includes(from)) throw new Error(`schema: ${from} is not in the function it changes`);
    return t.replace(from, () => to);
  }, text);
}

/** Step n brings a database from version n - 1 to version n. */
export const migrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE SCHEMA IF NOT EXISTS logsphere;
CREATE TABLE logsphere.schema_version (
  version integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE logsphere.events (
  event_id uuid NOT NULL,
  ts timestamptz NOT NULL,
  host text NOT NULL,
  event text NOT NULL,
  session_id uuid,
  user_name text,
  rhost text,
  -- The record as it was written: one logsphere/1 line, without its newline.
  line text NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX events_ts ON logsphere.events (ts);
CREATE INDEX events_host_ts ON logsphere.events (host, ts DESC);
CREATE INDEX events_system ON logsphere.events (host, ts) WHERE event IN ('boot', 'shutdown');
CREATE INDEX events_unnamed_closes ON logsphere.events (host, ts) WHERE event = 'session_close' AND session_id IS NULL;
CREATE INDEX events_user_ts ON logsphere.events (user_name, ts DESC);
CREATE INDEX events_session ON logsphere.events (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX events_failures_rhost ON logsphere.events (rhost, ts DESC) WHERE event = 'auth_failure';

CREATE TABLE logsphere.quarantine (
  -- sha256 of source and line: the same bad line from the same source is kept once.
  digest bytea PRIMARY KEY,
  source text NOT NULL,
  line_number bigint NOT NULL,
  reason text NOT NULL,
  line bytea NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);

-- The month's partition of events (a month of UTC, whatever the session's time zone), made when
-- the loader first needs it; only months from 1970 to five years ahead (the loader quarantines others).
CREATE FUNCTION logsphere.ensure_month(month date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := format('events_%s', to_char(first, 'YYYY_MM'));
BEGIN
  IF first < date '1970-01-01' OR first > (now() AT TIME ZONE 'UTC')::date + interval '5 years' THEN
    RAISE EXCEPTION 'no month of events for %', first USING ERRCODE = 'datetime_field_overflow';
  END IF;
  IF to_regclass(format('logsphere.%I', name)) IS NULL THEN
    EXECUTE format('CREATE TABLE IF NOT EXISTS logsphere.%I PARTITION OF logsphere.events FOR VALUES FROM (%L) TO (%L)',
      name, to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00', to_char((first + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00');
  END IF;
END $$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'logsphere_ship') THEN CREATE ROLE logsphere_ship NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'logsphere_read') THEN CREATE ROLE logsphere_read NOLOGIN; END IF;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA logsphere FROM PUBLIC;
REVOKE ALL ON FUNCTION logsphere.ensure_month(date) FROM PUBLIC;
GRANT USAGE ON SCHEMA logsphere TO logsphere_ship, logsphere_read;
GRANT SELECT ON logsphere.schema_version TO logsphere_ship, logsphere_read;
GRANT INSERT ON logsphere.events, logsphere.quarantine TO logsphere_ship;
GRANT EXECUTE ON FUNCTION logsphere.ensure_month(date) TO logsphere_ship;
GRANT SELECT ON logsphere.events, logsphere.quarantine TO logsphere_read;
`,
  },
  {
    // Heartbeats: each shipper of a host's own log says, every minute, that the host is there and
    // which of its open sessions still have a process (only the host can see that).
    version: 2,
    sql: `
CREATE TABLE logsphere.hosts (
  host text PRIMARY KEY,
  last_contact timestamptz NOT NULL
);
CREATE TABLE logsphere.process_checks (
  host text NOT NULL,
  boot_id text NOT NULL,
  pid integer NOT NULL,
  pid_start bigint NOT NULL,
  alive boolean NOT NULL,
  checked_at timestamptz NOT NULL,
  PRIMARY KEY (host, boot_id, pid, pid_start)
);
CREATE FUNCTION logsphere.heartbeat(p_host text, p_checks jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO logsphere.hosts (host, last_contact) VALUES (p_host, now())
    ON CONFLICT (host) DO UPDATE SET last_contact = excluded.last_contact;
  INSERT INTO logsphere.process_checks (host, boot_id, pid, pid_start, alive, checked_at)
    SELECT p_host, c->>'boot_id', (c->>'pid')::integer, (c->>'pid_start')::bigint, (c->>'alive')::boolean, now()
    FROM jsonb_array_elements(p_checks) AS c
    ON CONFLICT (host, boot_id, pid, pid_start) DO UPDATE SET alive = excluded.alive, checked_at = excluded.checked_at;
$$;
REVOKE ALL ON logsphere.hosts, logsphere.process_checks FROM PUBLIC;
REVOKE ALL ON FUNCTION logsphere.heartbeat(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION logsphere.heartbeat(text, jsonb) TO logsphere_ship;
GRANT SELECT ON logsphere.hosts, logsphere.process_checks TO logsphere_read;
`,
  },
  {
    // Sessions that may be open: every session_open no session_close of the same id has been
    // loaded for, kept as the loader merges (note_sessions), so that `sessions --db` reads the
    // candidates and what ends them instead of the whole history. Candidates ended otherwise
    // (a boot, a shutdown, a close without an id) stay until those are read at query time.
    version: 3,
    sql: `
CREATE TABLE logsphere.open_sessions (
  session_id uuid PRIMARY KEY,
  host text NOT NULL,
  ts timestamptz NOT NULL
);
CREATE INDEX open_sessions_host ON logsphere.open_sessions (host);
INSERT INTO logsphere.open_sessions (session_id, host, ts)
  SELECT DISTINCT ON (o.session_id) o.session_id, o.host, o.ts FROM logsphere.events o
  WHERE o.event = 'session_open' AND o.session_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = o.session_id AND c.event = 'session_close')
  ORDER BY o.session_id, o.ts;
CREATE FUNCTION logsphere.note_sessions(p_opens uuid[], p_hosts text[], p_ts timestamptz[], p_closes uuid[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM logsphere.open_sessions WHERE session_id = ANY (p_closes);
  INSERT INTO logsphere.open_sessions (session_id, host, ts)
    SELECT o.id, o.host, o.ts FROM unnest(p_opens, p_hosts, p_ts) AS o(id, host, ts)
    WHERE NOT (o.id = ANY (p_closes))
      AND NOT EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = o.id AND c.event = 'session_close')
    ON CONFLICT (session_id) DO NOTHING;
END $$;
REVOKE ALL ON logsphere.open_sessions FROM PUBLIC;
REVOKE ALL ON FUNCTION logsphere.note_sessions(uuid[], text[], timestamptz[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION logsphere.note_sessions(uuid[], text[], timestamptz[], uuid[]) TO logsphere_ship;
GRANT SELECT ON logsphere.open_sessions TO logsphere_read;
`,
  },
  {
    version: 4,
    sql: `
-- Each open session's record itself (its earliest open), so that the current sessions are read
-- from here alone, whatever the number of events.
ALTER TABLE logsphere.open_sessions ADD COLUMN event_id uuid, ADD COLUMN line text;
UPDATE logsphere.open_sessions o SET ts = e.ts, event_id = e.event_id, line = e.line
  FROM (SELECT DISTINCT ON (session_id) session_id, ts, event_id, line FROM logsphere.events
        WHERE event = 'session_open' AND session_id IN (SELECT session_id FROM logsphere.open_sessions)
        ORDER BY session_id, ts, event_id) AS e
  WHERE e.session_id = o.session_id;
-- Opens no longer stored (their month was dropped): sessions the store no longer has.
DELETE FROM logsphere.open_sessions WHERE line IS NULL;
ALTER TABLE logsphere.open_sessions ALTER COLUMN event_id SET NOT NULL, ALTER COLUMN line SET NOT NULL;
DROP FUNCTION logsphere.note_sessions(uuid[], text[], timestamptz[], uuid[]);
CREATE FUNCTION logsphere.note_sessions(p_opens uuid[], p_hosts text[], p_ts timestamptz[], p_event_ids uuid[], p_lines text[], p_closes uuid[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM logsphere.open_sessions WHERE session_id = ANY (p_closes);
  -- A session's earliest open (by time, then event id) is the one kept, as a query reading the
  -- records in that order would take it.
  INSERT INTO logsphere.open_sessions (session_id, host, ts, event_id, line)
    SELECT DISTINCT ON (o.id) o.id, o.host, o.ts, o.event_id, o.line
    FROM unnest(p_opens, p_hosts, p_ts, p_event_ids, p_lines) AS o(id, host, ts, event_id, line)
    WHERE NOT EXISTS (SELECT 1 FROM unnest(p_closes) AS c(id) WHERE c.id = o.id)
      AND NOT EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = o.id AND c.event = 'session_close')
      -- Only a stored open, as stored: what this table holds is always in events too.
      AND EXISTS (SELECT 1 FROM logsphere.events e WHERE e.event_id = o.event_id AND e.ts = o.ts AND e.event = 'session_open' AND e.session_id = o.id AND e.host = o.host AND e.line = o.line)
    ORDER BY o.id, o.ts, o.event_id
    ON CONFLICT (session_id) DO UPDATE SET host = excluded.host, ts = excluded.ts, event_id = excluded.event_id, line = excluded.line
      WHERE (excluded.ts, excluded.event_id) < (open_sessions.ts, open_sessions.event_id);
END $$;
REVOKE ALL ON FUNCTION logsphere.note_sessions(uuid[], text[], timestamptz[], uuid[], text[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION logsphere.note_sessions(uuid[], text[], timestamptz[], uuid[], text[], uuid[]) TO logsphere_ship;
`,
  },
  {
    // The records that end sessions other than their own close: boots, shutdowns, and closes
    // without a session id (paired by process). Few beside the events, kept apart so that the
    // current sessions, and the kernels a history from an instant on takes from before it, are
    // read without planning a query over every month of events.
    version: 5,
    sql: `
CREATE TABLE logsphere.ending_events (
  event_id uuid NOT NULL,
  ts timestamptz NOT NULL,
  host text NOT NULL,
  event text NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (event_id, ts)
);
CREATE INDEX ending_events_host_ts ON logsphere.ending_events (host, ts);
INSERT INTO logsphere.ending_events (event_id, ts, host, event, line)
  SELECT event_id, ts, host, event, line FROM logsphere.events
  WHERE event IN ('boot', 'shutdown') OR (event = 'session_close' AND session_id IS NULL);
-- Whether a boot or shutdown (its event, time and line) ends a session (its open's time and line)
-- as the reconciler decides, down or crash: a shutdown of its host at or after the open, or a
-- boot of its host after it with another boot id. The reconciler reads the lines, so the lines
-- must say the event and times the columns do (a shipping role may insert rows itself). Sure
-- answers only: a value written otherwise in the two lines, or one that cannot be read back (an
-- escaped NUL, a line that is not JSON), gives false, and the session stays among those that may
-- be open, for the reconciler to end at query time.
CREATE FUNCTION logsphere.ends_session(x_event text, x_ts timestamptz, x_line text, o_ts timestamptz, o_line text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  x json;
  o json;
BEGIN
  IF NOT ((x_event = 'shutdown' AND x_ts >= o_ts) OR (x_event = 'boot' AND x_ts > o_ts)) THEN
    RETURN false;
  END IF;
  x := x_line::json;
  o := o_line::json;
  IF (x ->> 'event') IS DISTINCT FROM x_event OR (x ->> 'ts')::timestamptz IS DISTINCT FROM x_ts
     OR (o ->> 'event') IS DISTINCT FROM 'session_open' OR (o ->> 'ts')::timestamptz IS DISTINCT FROM o_ts
     OR (x -> 'host')::text IS DISTINCT FROM (o -> 'host')::text THEN
    RETURN false;
  END IF;
  RETURN x_event = 'shutdown' OR coalesce((x ->> 'boot_id') <> (o ->> 'boot_id'), false);
EXCEPTION WHEN others THEN
  RETURN false;
END $$;
-- The sessions a boot or shutdown already ended are no longer ones that may be open (of two
-- records with one event id, the reconciler counts the earlier).
DELETE FROM logsphere.open_sessions o WHERE EXISTS (
  SELECT 1 FROM logsphere.ending_events x WHERE x.host = o.host AND x.ts >= o.ts AND x.event IN ('boot', 'shutdown')
    AND NOT EXISTS (SELECT 1 FROM logsphere.ending_events y WHERE y.event_id = x.event_id AND y.ts < x.ts)
    AND logsphere.ends_session(x.event, x.ts, x.line, o.ts, o.line));
-- Kept by the store itself, whoever inserts the events (a ship of another version, a shipping
-- role's own INSERT): each boot, shutdown and id-less close goes into ending_events, and a boot
-- or shutdown takes the sessions it ended out of open_sessions.
CREATE FUNCTION logsphere.keep_ending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO logsphere.ending_events (event_id, ts, host, event, line) VALUES (NEW.event_id, NEW.ts, NEW.host, NEW.event, NEW.line)
    ON CONFLICT (event_id, ts) DO NOTHING;
  IF NEW.event IN ('boot', 'shutdown') AND NOT EXISTS (SELECT 1 FROM logsphere.ending_events y WHERE y.event_id = NEW.event_id AND y.ts < NEW.ts) THEN
    DELETE FROM logsphere.open_sessions o WHERE o.host = NEW.host AND o.ts <= NEW.ts AND logsphere.ends_session(NEW.event, NEW.ts, NEW.line, o.ts, o.line);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER events_keep_ending AFTER INSERT ON logsphere.events FOR EACH ROW
  WHEN (NEW.event IN ('boot', 'shutdown') OR (NEW.event = 'session_close' AND NEW.session_id IS NULL))
  EXECUTE FUNCTION logsphere.keep_ending();
-- The batch's opens and named closes by their keys (session id, event id, time), their records
-- taken from events: a shipping role can only name what events holds. A session is judged by its
-- earliest stored open (by time, then event id), as the reconciler takes it: kept while no close
-- is stored and no boot or shutdown ended that open, taken out otherwise.
DROP FUNCTION logsphere.note_sessions(uuid[], text[], timestamptz[], uuid[], text[], uuid[]);
${noteSessions5}
REVOKE ALL ON FUNCTION logsphere.note_sessions(uuid[], uuid[], timestamptz[], uuid[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION logsphere.note_sessions(uuid[], uuid[], timestamptz[], uuid[], timestamptz[]) TO logsphere_ship;
REVOKE ALL ON logsphere.ending_events FROM PUBLIC;
REVOKE ALL ON FUNCTION logsphere.ends_session(text, timestamptz, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION logsphere.keep_ending() FROM PUBLIC;
GRANT SELECT ON logsphere.ending_events TO logsphere_read;
`,
  },
  {
    // The key of events led by the time: the records of a month arrive nearly in time order, so
    // its key grows at its end, where led by the event id (random) every insert went to some
    // random page of it. In that order it is also the order queries read records in (ts, then
    // event_id), which the index on ts alone served before: one index fewer to keep. And a
    // quicker note_sessions().
    version: 6,
    sql: `
ALTER TABLE logsphere.events DROP CONSTRAINT events_pkey;
ALTER TABLE logsphere.events ADD CONSTRAINT events_pkey PRIMARY KEY (ts, event_id);
DROP INDEX IF EXISTS logsphere.events_ts;
-- The sessions a batch closed are deleted by their key: with thousands of them, PostgreSQL
-- otherwise read the whole of open_sessions to join them. A loader's statements are short: JIT
-- compilation (seconds, when a plan over every month looks costly) never pays for itself here.
${noteSessions6}
`,
  },
  {
    // A heartbeat says all its host's processes checked: the checks it no longer names (sessions
    // closed since, an earlier boot's) go, instead of piling up for every `sessions --db` to read.
    // Two sessions of one process are checked once (a process may open more than one). And a boot
    // or shutdown written twice whose earlier copy arrives last gives back the sessions only the
    // later copy ended.
    version: 7,
    sql: `
CREATE OR REPLACE FUNCTION logsphere.heartbeat(p_host text, p_checks jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO logsphere.hosts (host, last_contact) VALUES (p_host, now())
    ON CONFLICT (host) DO UPDATE SET last_contact = excluded.last_contact;
  DELETE FROM logsphere.process_checks p WHERE p.host = p_host AND NOT EXISTS (
    SELECT 1 FROM jsonb_array_elements(p_checks) AS c
    WHERE c->>'boot_id' = p.boot_id AND (c->>'pid')::integer = p.pid AND (c->>'pid_start')::bigint = p.pid_start);
  INSERT INTO logsphere.process_checks (host, boot_id, pid, pid_start, alive, checked_at)
    SELECT p_host, c->>'boot_id', (c->>'pid')::integer, (c->>'pid_start')::bigint, bool_or((c->>'alive')::boolean), now()
    FROM jsonb_array_elements(p_checks) AS c
    GROUP BY c->>'boot_id', (c->>'pid')::integer, (c->>'pid_start')::bigint
    ON CONFLICT (host, boot_id, pid, pid_start) DO UPDATE SET alive = excluded.alive, checked_at = excluded.checked_at;
$$;
-- A boot or shutdown whose record is there already from a later time: the earlier copy counts
-- from now on, as in the reconciler, and the later ones end nothing. The sessions they may have
-- taken out of open_sessions (on their hosts, opened no later than they were, with no close) are
-- judged again by note_sessions(), and come back unless something else ended them.
CREATE OR REPLACE FUNCTION logsphere.keep_ending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  latest timestamptz;
BEGIN
  INSERT INTO logsphere.ending_events (event_id, ts, host, event, line) VALUES (NEW.event_id, NEW.ts, NEW.host, NEW.event, NEW.line)
    ON CONFLICT (event_id, ts) DO NOTHING;
  IF NEW.event IN ('boot', 'shutdown') AND NOT EXISTS (SELECT 1 FROM logsphere.ending_events y WHERE y.event_id = NEW.event_id AND y.ts < NEW.ts) THEN
    DELETE FROM logsphere.open_sessions o WHERE o.host = NEW.host AND o.ts <= NEW.ts AND logsphere.ends_session(NEW.event, NEW.ts, NEW.line, o.ts, o.line);
    SELECT max(y.ts) INTO latest FROM logsphere.ending_events y WHERE y.event_id = NEW.event_id AND y.ts > NEW.ts AND y.event IN ('boot', 'shutdown');
    IF latest IS NOT NULL THEN
      PERFORM logsphere.note_sessions(coalesce(array_agg(e.session_id), '{}'), coalesce(array_agg(e.event_id), '{}'), coalesce(array_agg(e.ts), '{}'), '{}', '{}')
      FROM logsphere.events e
      WHERE e.event = 'session_open' AND e.session_id IS NOT NULL AND e.ts <= latest
        AND e.host IN (SELECT y.host FROM logsphere.ending_events y WHERE y.event_id = NEW.event_id AND y.ts > NEW.ts)
        AND NOT EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = e.session_id AND c.event = 'session_close');
    END IF;
  END IF;
  RETURN NULL;
END $$;
`,
  },
];

/** The version of the schema in the database: 0 when it has none. */
export async function currentVersion(db: Db): Promise<number> {
  const exists = await db.query<{ present: boolean }>("SELECT to_regclass('logsphere.schema_version') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return 0;
  const r = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM logsphere.schema_version');
  return r.rows[0]?.version ?? 0;
}

/** Applies the steps the database lacks (up to version `upTo`), each in one transaction; returns the versions applied. */
export async function migrate(db: Db, upTo = schemaVersion): Promise<number[]> {
  const found = await currentVersion(db);
  if (found > schemaVersion) throw new SchemaError(newerSchema(found));
  const applied: number[] = [];
  for (const step of migrations.filter((m) => m.version <= upTo)) {
    await db.query('BEGIN');
    try {
      // One migration at a time, whoever runs it.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['logsphere migrate']);
      if ((await currentVersion(db)) >= step.version) {
        await db.query('COMMIT');
        continue;
      }
      await db.query(step.sql);
      await db.query('INSERT INTO logsphere.schema_version (version) VALUES ($1)', [step.version]);
      await db.query('COMMIT');
      applied.push(step.version);
    } catch (error) {
      await db.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }
  return applied;
}

export class SchemaError extends Error {}

/** Refuses a database whose schema is not this version's, saying what to run. */
export async function checkSchema(db: Db): Promise<void> {
  const version = await currentVersion(db);
  if (version === schemaVersion) return;
  if (version === 0) throw new SchemaError('The database has no LogSphere schema: run `logsphere db migrate --db URL` first');
  if (version < schemaVersion) throw new SchemaError(`The database's LogSphere schema is version ${version}, this logsphere needs ${schemaVersion}: run \`logsphere db migrate --db URL\``);
  throw new SchemaError(newerSchema(version));
}

function newerSchema(version: number): string {
  return `The database's LogSphere schema is version ${version}, newer than this logsphere knows (${schemaVersion}): update logsphere`;
}
