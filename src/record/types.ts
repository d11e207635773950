// The `logsphere/1` record: one JSON object per line of the session log (DESIGN.md).

export const schemaVersion = 'logsphere/1';

export type EventKind = 'session_open' | 'session_close' | 'auth_failure' | 'boot' | 'shutdown';
export const eventKinds: readonly EventKind[] = [
  'session_open',
  'session_close',
  'auth_failure',
  'boot',
  'shutdown',
];

export type RecordSource =
  | 'pam'
  | 'systemd'
  | 'wtmp'
  | 'btmp'
  | 'utmp'
  | 'authlog'
  | 'logsphere-v2'
  | 'wtmpdb'
  | 'lastlog2';

interface RecordBase {
  schema: typeof schemaVersion;
  event_id: string;
  ts: string;
  host: string;
  boot_id: string;
  source: RecordSource;
}

/** Who, where and through what: the fields a session or authentication record carries. */
export interface LoginFields {
  session_id: string | null;
  user: string;
  uid: number | null;
  tty: string | null;
  rhost: string | null;
  ruser: string | null;
  service: string;
  pid: number;
  pid_start: number;
  /**
   * The kernel's audit session id (/proc/PID/sessionid) that pam_loginuid gave the session: every
   * process of the session carries it. Only on opens, and only when the session started one of its
   * own (a user switch inherits the audit session of the login it runs in).
   */
  audit_session?: number;
  xdg_session_id?: string;
  truncated?: string[];
}

export interface SessionOpenRecord extends RecordBase, LoginFields {
  event: 'session_open';
  session_id: string;
}

export interface SessionCloseRecord extends RecordBase, LoginFields {
  event: 'session_close';
  login_time?: string;
  duration_s?: number;
  /**
   * The pseudo-terminal the session's processes had (`pts/3`), when `tty` does not name it: sshd
   * says `ssh` and allocates the pty after the session opens.
   */
  pty?: string;
}

export interface AuthFailureRecord extends RecordBase, LoginFields {
  event: 'auth_failure';
}

export interface BootRecord extends RecordBase {
  event: 'boot';
  kernel: string;
  boot_time: string;
}

export interface ShutdownRecord extends RecordBase {
  event: 'shutdown';
}

/** Any record of the log: sessions, failed logins, boots and shutdowns. */
export type LogRecord =
  | SessionOpenRecord
  | SessionCloseRecord
  | AuthFailureRecord
  | BootRecord
  | ShutdownRecord;
