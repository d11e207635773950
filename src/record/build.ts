// Builders for `logsphere/1` records. Key order is fixed here so that every line of the log
// reads the same way; JSON.stringify does the escaping (control characters become \uXXXX).

import { jsonText } from './json-text.ts';
import { newId } from './ids.ts';
import { durationSeconds, formatTimestamp, parseTimestamp, type Micros } from './time.ts';
import {
  schemaVersion,
  type AuthFailureRecord,
  type BootRecord,
  type LoginFields,
  type RecordSource,
  type SessionCloseRecord,
  type SessionOpenRecord,
  type LogRecord,
  type ShutdownRecord,
} from './types.ts';

/** What every record of one host and boot shares. */
export interface Origin {
  host: string;
  boot_id: string;
  source: RecordSource;
}

/** Ids a record is built with; new UUIDv7s unless given (importers derive theirs from names). */
export interface Ids {
  event_id?: string;
  session_id?: string;
}

function base(origin: Origin, at: Micros, ids: Ids = {}) {
  return {
    schema: schemaVersion,
    event_id: ids.event_id ?? newId(at),
    ts: formatTimestamp(at),
    host: origin.host,
    boot_id: origin.boot_id,
    source: origin.source,
  } as const;
}

/** The login fields without session_id; the builders decide what id a record carries. */
export type Login = Omit<LoginFields, 'session_id'>;

/** A login record in one object literal (one shape, fixed key order: cheap to build by the million). */
function loginRecord<E extends 'session_open' | 'session_close' | 'auth_failure'>(
  event: E,
  origin: Origin,
  at: Micros,
  eventId: string,
  sessionId: string | null,
  login: Login,
) {
  const record = {
    schema: schemaVersion,
    event_id: eventId,
    ts: formatTimestamp(at),
    host: origin.host,
    boot_id: origin.boot_id,
    source: origin.source,
    event,
    session_id: sessionId,
    user: login.user,
    uid: login.uid,
    tty: login.tty,
    rhost: login.rhost,
    ruser: login.ruser,
    service: login.service,
    pid: login.pid,
    pid_start: login.pid_start,
  } as LoginFields & ReturnType<typeof base> & { event: E };
  if (login.audit_session !== undefined) record.audit_session = login.audit_session;
  if (login.xdg_session_id !== undefined) record.xdg_session_id = login.xdg_session_id;
  if (login.truncated !== undefined && login.truncated.length > 0) record.truncated = login.truncated;
  return record;
}

export function sessionOpen(origin: Origin, login: Login, at: Micros, ids: Ids = {}): SessionOpenRecord {
  const sessionId = ids.session_id ?? newId(at);
  return loginRecord('session_open', origin, at, ids.event_id ?? newId(at), sessionId, login) as SessionOpenRecord;
}

/**
 * A close. With the open record it reuses the session id and adds login_time and duration_s;
 * without it the id is null and the reconciler pairs it by host/pid/pid_start/service/user/tty.
 * `pty` is the session's pseudo-terminal when it became known after the open (sshd's sessions).
 */
export function sessionClose(
  origin: Origin,
  login: Login,
  at: Micros,
  open: Pick<SessionOpenRecord, 'session_id' | 'ts'> | null,
  ids: Ids = {},
  pty: string | null = null,
): SessionCloseRecord {
  const record: SessionCloseRecord = loginRecord('session_close', origin, at, ids.event_id ?? newId(at), open ? open.session_id : null, login);
  const opened = open ? parseTimestamp(open.ts) : null;
  if (open && opened !== null) {
    record.login_time = open.ts;
    record.duration_s = Math.max(0, durationSeconds(opened, at));
  }
  if (pty !== null) record.pty = pty;
  return record;
}

export function authFailure(origin: Origin, login: Login, at: Micros, ids: Ids = {}): AuthFailureRecord {
  return loginRecord('auth_failure', origin, at, ids.event_id ?? newId(at), null, login);
}

export function boot(origin: Origin, at: Micros, kernel: string, bootTime: Micros, ids: Ids = {}): BootRecord {
  return { ...base(origin, at, ids), event: 'boot', kernel, boot_time: formatTimestamp(bootTime) };
}

export function shutdown(origin: Origin, at: Micros, ids: Ids = {}): ShutdownRecord {
  return { ...base(origin, at, ids), event: 'shutdown' };
}

/** The record as one line of the log, newline included. */
export function toLine(record: LogRecord): string {
  return `${jsonText(record)}\n`;
}
