// A logsphere/1 record as an OpenTelemetry log record (the log data model: Timestamp in
// nanoseconds since the epoch, SeverityText/SeverityNumber, Body, Resource, Attributes,
// EventName), one JSON object per line. Attribute names follow the semantic conventions where
// one exists (user.name, user.id, client.address, process.pid, session.id, log.record.uid,
// host.name); the rest are under logsphere.*. Timestamp is a decimal string: nanoseconds do not
// fit a JSON number exactly (OTLP/JSON encodes 64-bit integers the same way). Documented field by
// field in docs/collectors.md.

import { parseTimestamp } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { messageOf } from './ecs.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** OpenTelemetry severity numbers: INFO is 9, WARN 13. */
const info = { SeverityText: 'INFO', SeverityNumber: 9 } as const;
const warn = { SeverityText: 'WARN', SeverityNumber: 13 } as const;

const eventNames: Record<LogRecord['event'], string> = {
  session_open: 'logsphere.session.open',
  session_close: 'logsphere.session.close',
  auth_failure: 'logsphere.auth.failure',
  boot: 'logsphere.host.boot',
  shutdown: 'logsphere.host.shutdown',
};

function nanos(ts: string): string {
  const micros = parseTimestamp(ts);
  if (micros === null) throw new RangeError(`Cannot convert the timestamp ${JSON.stringify(ts)}: not RFC 3339`);
  return `${BigInt(micros) * 1000n}`;
}

export function toOtel(record: LogRecord): Record<string, Json> {
  const attributes: Record<string, Json> = {
    'log.record.uid': record.event_id,
    'logsphere.event': record.event,
    'logsphere.schema': record.schema,
    'logsphere.source': record.source,
  };
  if (record.event === 'boot') {
    attributes['logsphere.kernel'] = record.kernel;
    attributes['logsphere.boot_time'] = record.boot_time;
  } else if (record.event !== 'shutdown') {
    attributes['user.name'] = record.user;
    if (record.uid !== null) attributes['user.id'] = String(record.uid);
    if (record.rhost !== null) attributes['client.address'] = record.rhost;
    attributes['process.pid'] = record.pid;
    if (record.session_id !== null) attributes['session.id'] = record.session_id;
    if (record.tty !== null) attributes['logsphere.tty'] = record.tty;
    attributes['logsphere.service'] = record.service;
    if (record.ruser !== null) attributes['logsphere.ruser'] = record.ruser;
    attributes['logsphere.pid_start'] = record.pid_start;
    if (record.xdg_session_id !== undefined) attributes['logsphere.xdg_session_id'] = record.xdg_session_id;
    if (record.truncated !== undefined) attributes['logsphere.truncated'] = record.truncated;
    if (record.event === 'session_close') {
      if (record.login_time !== undefined) attributes['logsphere.login_time'] = record.login_time;
      if (record.duration_s !== undefined) attributes['logsphere.duration_s'] = record.duration_s;
    }
  }
  return {
    Timestamp: nanos(record.ts),
    ...(record.event === 'auth_failure' ? warn : info),
    EventName: eventNames[record.event],
    Body: messageOf(record),
    Resource: { 'host.name': record.host, 'host.boot.id': record.boot_id, 'service.name': 'logsphere' },
    InstrumentationScope: { name: 'logsphere', version: '1' },
    Attributes: attributes,
  };
}
