// Sessions as the reconciler sees them: an open record, what ended it, and how.

export type SessionEnd = 'logout' | 'down' | 'crash' | 'gone';

/** A login, or a user switch (su, sudo, ...: a service of the configured list) within one. */
export type SessionKind = 'login' | 'switch';

/** The user-switch services when the configuration names none (DESIGN.md). */
export const defaultSwitchServices: readonly string[] = ['su', 'su-l', 'sudo', 'sudo-i', 'runuser', 'runuser-l', 'pkexec'];

export interface Session {
  session_id: string;
  host: string;
  user: string;
  uid: number | null;
  tty: string | null;
  /**
   * The pseudo-terminal (pts/N) when `tty` does not name it (sshd says `ssh`): the one recorded
   * on the close, or for an open session the one its processes hold now (queries fill it in).
   */
  pty: string | null;
  rhost: string | null;
  service: string;
  kind: SessionKind;
  pid: number;
  /** Not in DESIGN.md's JSON session object; kept for liveness and pairing. */
  pid_start: number;
  /** The audit session of the session's processes, when the open recorded one; for liveness. */
  audit_session: number | null;
  boot_id: string;
  login_time: string;
  /** The close, the shutdown or the next boot; null while open and for `gone`. */
  logout_time: string | null;
  duration_s: number | null;
  end: SessionEnd | null;
}

/** A boot or shutdown of a host, for `last --system`. */
export interface SystemEvent {
  event: 'boot' | 'shutdown';
  host: string;
  boot_id: string;
  ts: string;
  kernel: string | null;
  /** A boot's `boot_time` (when the kernel started); null for a shutdown. */
  boot_time: string | null;
}

export interface ReconcileCounts {
  /** Records seen more than once (same event_id), counted once. */
  duplicates: number;
  /** Closes that matched no open: ignored. */
  closesWithoutOpen: number;
}

export interface Reconciled {
  sessions: Session[];
  system: SystemEvent[];
  counts: ReconcileCounts;
}

/**
 * Whether a process of a session still runs (the one that opened it, or any in its audit
 * session): true or false on the local host in the session's boot, null where it cannot be known
 * (another host, another boot).
 */
export type Liveness = (session: Pick<Session, 'host' | 'boot_id' | 'pid' | 'pid_start' | 'audit_session'>) => boolean | null;
