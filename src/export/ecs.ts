// A logsphere/1 record as an Elastic Common Schema (ECS 8.11) document, in the manner of
// Auditbeat's system/login dataset: `event.action` user_login, user_logout, boot, shutdown;
// a failed authentication is a user_login whose `event.outcome` is failure. Fields ECS has no
// place for stay under `logsphere.*`. The mapping is documented field by field in
// docs/collectors.md. Output is deterministic: the same record gives the same bytes.

import { isIP } from 'node:net';
import type { LogRecord } from '../record/types.ts';

export const ecsVersion = '8.11.0';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function actionOf(record: LogRecord): { action: string; category: string[]; type: string[]; outcome: string } {
  switch (record.event) {
    case 'session_open':
      return { action: 'user_login', category: ['authentication', 'session'], type: ['start'], outcome: 'success' };
    case 'session_close':
      return { action: 'user_logout', category: ['authentication', 'session'], type: ['end'], outcome: 'success' };
    case 'auth_failure':
      return { action: 'user_login', category: ['authentication'], type: ['start'], outcome: 'failure' };
    case 'boot':
      return { action: 'boot', category: ['host'], type: ['start'], outcome: 'success' };
    case 'shutdown':
      return { action: 'shutdown', category: ['host'], type: ['end'], outcome: 'success' };
  }
}

/** Auditbeat-style message: "Login by user alice (UID: 1000) on pts/2 (PID: 14962) from 10.0.2.2". */
export function messageOf(record: LogRecord): string {
  switch (record.event) {
    case 'boot':
      return `System boot (kernel ${record.kernel}) on ${record.host}`;
    case 'shutdown':
      return `System shutdown on ${record.host}`;
    default: {
      const what = record.event === 'session_open' ? 'Login by' : record.event === 'session_close' ? 'Logout by' : 'Failed login by';
      const uid = record.uid === null ? '' : ` (UID: ${record.uid})`;
      const tty = record.tty === null ? '' : ` on ${record.tty}`;
      const from = record.rhost === null ? '' : ` from ${record.rhost}`;
      return `${what} user ${record.user}${uid}${tty} (PID: ${record.pid})${from} via ${record.service}`;
    }
  }
}

export function toEcs(record: LogRecord): Record<string, Json> {
  const { action, category, type, outcome } = actionOf(record);
  const doc: Record<string, Json> = {
    '@timestamp': record.ts,
    ecs: { version: ecsVersion },
    event: {
      id: record.event_id,
      kind: 'event',
      module: 'logsphere',
      dataset: 'logsphere.login',
      action,
      category,
      type,
      outcome,
    },
    host: { name: record.host, boot: { id: record.boot_id } },
    message: messageOf(record),
  };
  const logsphere: Record<string, Json> = { schema: record.schema, event: record.event, source: record.source };
  if (record.event === 'boot') {
    (doc['host'] as Record<string, Json>)['os'] = { kernel: record.kernel };
    logsphere['boot_time'] = record.boot_time;
  } else if (record.event !== 'shutdown') {
    const user: Record<string, Json> = { name: record.user };
    if (record.uid !== null) user['id'] = String(record.uid);
    doc['user'] = user;
    doc['process'] = { pid: record.pid };
    const related: Record<string, Json> = { user: [record.user] };
    if (record.rhost !== null) {
      if (isIP(record.rhost) !== 0) {
        doc['source'] = { ip: record.rhost };
        related['ip'] = [record.rhost];
      } else {
        doc['source'] = { domain: record.rhost };
        related['hosts'] = [record.rhost];
      }
    }
    doc['related'] = related;
    logsphere['session_id'] = record.session_id;
    logsphere['tty'] = record.tty;
    logsphere['service'] = record.service;
    logsphere['ruser'] = record.ruser;
    logsphere['pid_start'] = record.pid_start;
    if (record.xdg_session_id !== undefined) logsphere['xdg_session_id'] = record.xdg_session_id;
    if (record.truncated !== undefined) logsphere['truncated'] = record.truncated;
    if (record.event === 'session_close') {
      if (record.login_time !== undefined) (doc['event'] as Record<string, Json>)['start'] = record.login_time;
      (doc['event'] as Record<string, Json>)['end'] = record.ts;
      // ECS durations are nanoseconds.
      if (record.duration_s !== undefined) (doc['event'] as Record<string, Json>)['duration'] = Math.round(record.duration_s * 1e9);
    }
  }
  doc['logsphere'] = logsphere;
  return doc;
}
