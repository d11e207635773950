// Checks that a parsed JSON value is a `logsphere/1` record. Readers use it to count and skip
// bad lines; unknown fields are allowed (DESIGN.md: readers ignore them). The JSON Schema file
// beside this one says the same thing for other tools; a test keeps the two in step.

import { eventKinds, schemaVersion, type EventKind, type LogRecord } from './types.ts';
import { parseTimestamp } from './time.ts';

export type Validation = { ok: true; record: LogRecord } | { ok: false; reason: string };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const sources = new Set(['pam', 'systemd', 'wtmp', 'btmp', 'utmp', 'authlog', 'logsphere-v2', 'wtmpdb', 'lastlog2']);
const cappedFields = new Set(['user', 'tty', 'rhost', 'ruser', 'service', 'xdg_session_id']);
const loginEvents = new Set<EventKind>(['session_open', 'session_close', 'auth_failure']);

const isString = (v: unknown): v is string => typeof v === 'string';
const isTimestamp = (v: unknown) => isString(v) && timestampPattern.test(v) && parseTimestamp(v) !== null;
const isUuid = (v: unknown) => isString(v) && uuidPattern.test(v);
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
// At most 256 characters: a string of at most 256 UTF-16 units is; a longer one is counted.
const isCapped = (v: unknown) => isString(v) && (v.length <= 256 || (v.length <= 512 && [...v].length <= 256));
const isCappedOrNull = (v: unknown) => v === null || isCapped(v);

export function validateRecord(value: unknown): Validation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const r = value as Record<string, unknown>;
  if (r['schema'] !== schemaVersion) return { ok: false, reason: `schema is not ${schemaVersion}` };
  if (!isUuid(r['event_id'])) return { ok: false, reason: 'event_id is not a UUID' };
  if (!isTimestamp(r['ts'])) return { ok: false, reason: 'ts is not an RFC 3339 UTC timestamp' };
  const event = r['event'];
  if (!eventKinds.includes(event as EventKind)) return { ok: false, reason: 'unknown event' };
  if (!isString(r['host']) || r['host'] === '') return { ok: false, reason: 'host is missing' };
  if (!isString(r['boot_id']) || r['boot_id'] === '') return { ok: false, reason: 'boot_id is missing' };
  if (!sources.has(r['source'] as string)) return { ok: false, reason: 'unknown source' };

  if (loginEvents.has(event as EventKind)) {
    const sid = r['session_id'];
    if (event === 'session_open' ? !isUuid(sid) : !(sid === null || isUuid(sid))) {
      return { ok: false, reason: 'session_id is not a UUID' };
    }
    for (const field of ['user', 'service']) {
      if (!isCapped(r[field])) return { ok: false, reason: `${field} is not a string of at most 256 characters` };
    }
    for (const field of ['tty', 'rhost', 'ruser']) {
      if (!isCappedOrNull(r[field])) return { ok: false, reason: `${field} is not a string or null` };
    }
    if (!(r['uid'] === null || isCount(r['uid']))) return { ok: false, reason: 'uid is not a number or null' };
    if (!isCount(r['pid']) || !isCount(r['pid_start'])) {
      return { ok: false, reason: 'pid or pid_start is not a number' };
    }
    // 4294967295 is the kernel's "no audit session"; the hook leaves the field out then.
    if ('audit_session' in r && !(isCount(r['audit_session']) && (r['audit_session'] as number) < 0xffffffff)) {
      return { ok: false, reason: 'audit_session is not an audit session id' };
    }
    if ('xdg_session_id' in r && !isCapped(r['xdg_session_id'])) {
      return { ok: false, reason: 'xdg_session_id is not a string' };
    }
    if ('truncated' in r) {
      const t = r['truncated'];
      if (!Array.isArray(t) || t.length === 0 || !t.every((f) => cappedFields.has(f as string))) {
        return { ok: false, reason: 'truncated is not a list of field names' };
      }
      if (new Set(t).size !== t.length) return { ok: false, reason: 'truncated repeats a field' };
    }
    if (event === 'session_close') {
      const hasLogin = 'login_time' in r;
      const hasDuration = 'duration_s' in r;
      if (hasLogin !== hasDuration) return { ok: false, reason: 'login_time and duration_s go together' };
      if (hasLogin && !isTimestamp(r['login_time'])) return { ok: false, reason: 'login_time is not a timestamp' };
      if (hasDuration && !(typeof r['duration_s'] === 'number' && r['duration_s'] >= 0)) {
        return { ok: false, reason: 'duration_s is not a non-negative number' };
      }
      if ('pty' in r && !isCapped(r['pty'])) return { ok: false, reason: 'pty is not a string of at most 256 characters' };
    }
  } else if (event === 'boot') {
    if (!isString(r['kernel'])) return { ok: false, reason: 'kernel is missing' };
    if (!isTimestamp(r['boot_time'])) return { ok: false, reason: 'boot_time is not a timestamp' };
  }
  return { ok: true, record: value as LogRecord };
}

/** One line (without its newline) as a record; null when it is not a `logsphere/1` record. */
export function parseRecordLine(line: string): LogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const checked = validateRecord(value);
  return checked.ok ? checked.record : null;
}
