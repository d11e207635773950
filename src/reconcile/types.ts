// Sessions as the reconciler sees them: an open record, what ended it, and how.

export type SessionEnd = 'logout' | 'down' | 'crash' | 'gone';

export interface Session {
  session_id: string;
  host: string;
  user: string;
  uid: number | null;
  tty: string | null;
  rhost: string | null;
  service: string;
  pid: number;
  /** Not in DESIGN.md's JSON session object; kept for liveness and pairing. */
  pid_start: number;
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
 * Whether the process that opened a session still runs: true or false on the local host in the
 * session's boot, null where it cannot be known (another host, another boot).
 */
export type Liveness = (session: Pick<Session, 'host' | 'boot_id' | 'pid' | 'pid_start'>) => boolean | null;
