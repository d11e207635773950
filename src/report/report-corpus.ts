// A fixed week of sessions, failures and alerts for the report's tests (unit and browser).

import type { Alert } from '../alerts/engine.ts';
import type { Failure } from '../failures/failures.ts';
import type { Session } from '../reconcile/types.ts';
import type { ReportInput } from './report.ts';

const at = (text: string) => Date.parse(text) * 1000;

function session(id: number, user: string, host: string, login: string, logout: string | null, end: Session['end'], rhost: string | null = '192.0.2.10'): Session {
  const duration = logout === null ? null : (Date.parse(logout) - Date.parse(login)) / 1000;
  return {
    session_id: `00000000-0000-7000-8000-${String(id).padStart(12, '0')}`, host, user, uid: 1000 + id, tty: 'pts/1', rhost, service: 'sshd',
    pid: 100 + id, pid_start: 1, boot_id: 'b', login_time: login, logout_time: logout, duration_s: duration, end,
  };
}

function failure(n: number, ts: string, user: string, rhost: string): Failure {
  return { event_id: `00000000-0000-7000-9000-${String(n).padStart(12, '0')}`, at: at(ts), ts, host: 'web1', user, uid: null, tty: 'ssh', rhost, service: 'sshd', source: 'pam' };
}

export function reportCorpus(): ReportInput {
  const sessions = [
    session(1, 'alice', 'web1', '2026-11-14T09:00:00.000000Z', '2026-11-14T10:00:00.000000Z', 'logout'),
    session(2, 'bob', 'web1', '2026-11-14T09:30:00.000000Z', '2026-11-14T12:00:00.000000Z', 'logout', '198.51.100.20'),
    session(3, 'alice', 'web1', '2026-11-15T09:00:00.000000Z', '2026-11-15T11:00:00.000000Z', 'logout'),
    session(4, 'alice', 'db1', '2026-11-16T09:30:00.000000Z', '2026-11-16T09:45:00.000000Z', 'logout'),
    session(5, 'carol<script>', 'web1', '2026-11-17T08:00:00.000000Z', '2026-11-18T00:00:00.000000Z', 'crash', null),
  ];
  const failures = [
    ...Array.from({ length: 6 }, (_, i) => failure(i, `2026-11-15T03:00:0${i}.000000Z`, 'root', '203.0.113.7')),
    failure(10, '2026-11-16T04:00:00.000000Z', 'admin', '198.51.100.1'),
    failure(11, '2026-11-16T04:00:01.000000Z', 'admin', '198.51.100.1'),
  ];
  const alert: Alert = {
    schema: 'logsphere-alert/1', alert_id: 'a', rule: 'failures_by_rhost', type: 'failures_by_rhost', severity: 'warning', ts: '2026-11-15T03:00:04.000000Z',
    host: 'web1', user: null, rhost: '203.0.113.7', count: 5, window_s: 600, first_event_id: 'x', last_event_id: 'y', first_ts: '2026-11-15T03:00:00.000000Z',
    last_ts: '2026-11-15T03:00:04.000000Z', message: '5 failed logins from 203.0.113.7 within 10m on web1',
  };
  return { sessions, failures, alerts: [alert], access: null, since: at('2026-11-14T00:00:00Z'), until: at('2026-11-20T23:59:59Z'), now: at('2026-11-21T06:00:00Z'), warnings: [] };
}
