// sshd's failed-authentication lines in auth.log / syslog files as `auth_failure` records
// (source "authlog"). Two timestamp styles: the classic `Nov 21 13:05:09` of rsyslog's
// traditional format (no year, local time: the year is given or inferred) and RFC 3339
// (`2026-11-21T13:05:09.123456+01:00`, rsyslog's high-precision format and journald exports).
// Ids are name-based (UUIDv5 of host, time and the line itself): importing a file twice, or
// overlapping rotated copies, yields the same records.

import { capUtf8 } from '../pam/context.ts';
import * as build from '../record/build.ts';
import type { Micros } from '../record/time.ts';
import type { AuthFailureRecord } from '../record/types.ts';
import { uuidV5 } from '../record/name-ids.ts';
import { zonedToMicros } from '../time/zoned-time.ts';

const months: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** `Mon DD HH:MM:SS host prog[pid]: message` (DD space-padded). */
const classicLine = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: (.*)$/;
/** `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) host prog[pid]: message`. */
const rfc3339Line = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: (.*)$/;

/**
 * The programs whose lines are read: sshd, sshd-session (OpenSSH 9.8 and later), and sshd run
 * under another name (its syslog tag is its program name, e.g. a second instance `sshd-backup`).
 */
const sshProgram = /sshd/;

// The messages (OpenSSH auth.c, auth2.c). The user name is the client's and may contain spaces
// or " from ": the patterns take the *last* " from ADDRESS" of the line.
const failedMethod = /^Failed (\S+) for (invalid user )?(.*) from (\S+) port (\d+) ssh2(?:: .*)?$/;
const invalidUser = /^Invalid user (.*) from (\S+)(?: port (\d+))?$/;
const maxAttempts = /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.*) from (\S+) port (\d+) ssh2(?: \[preauth\])?$/;

export type AuthlogReason = 'failed_password' | 'failed_publickey' | 'failed_other' | 'invalid_user' | 'max_attempts';

export interface AuthlogEvent {
  at: Micros;
  host: string;
  pid: number;
  user: string;
  rhost: string;
  reason: AuthlogReason;
}

export type LineResult = { kind: 'event'; event: AuthlogEvent } | { kind: 'other' } | { kind: 'malformed' };

export interface AuthlogOptions {
  /** The zone classic timestamps are in (IANA name). */
  zone: string;
  /** The year of classic timestamps; null: inferred from `reference`. */
  year: number | null;
  /** For inference: when the file was last written (its mtime), UTC microseconds. */
  reference: Micros;
}

/** What an sshd message says, or null when it is not one of the failure messages. */
export function parseSshdMessage(message: string): Omit<AuthlogEvent, 'at' | 'host' | 'pid'> | null {
  const failed = failedMethod.exec(message);
  if (failed) {
    const [, method, , user = '', rhost = ''] = failed;
    const reason: AuthlogReason = method === 'password' ? 'failed_password' : method === 'publickey' ? 'failed_publickey' : 'failed_other';
    return { user, rhost, reason };
  }
  const invalid = invalidUser.exec(message);
  if (invalid) {
    const [, user = '', rhost = ''] = invalid;
    return { user, rhost, reason: 'invalid_user' };
  }
  const exceeded = maxAttempts.exec(message);
  if (exceeded) {
    const [, , user = '', rhost = ''] = exceeded;
    return { user, rhost, reason: 'max_attempts' };
  }
  return null;
}

/**
 * A classic timestamp's year. With no year given, the one that puts the time closest before the
 * file's last write: syslog lines are never later than the file they are in, so a December line
 * in a file written in January is from the year before.
 */
function classicMicros(month: number, day: number, h: number, mi: number, s: number, options: AuthlogOptions): Micros | null {
  const wall = (year: number) =>
    zonedToMicros(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}`, options.zone);
  if (options.year !== null) return wall(options.year);
  const year = new Date(options.reference / 1000).getUTCFullYear();
  // A day of slack for clocks and zones; Feb 29 exists only in some years.
  const slack = 86_400_000_000;
  for (const y of [year + 1, year, year - 1, year - 2, year - 3, year - 4]) {
    const at = wall(y);
    if (at !== null && at <= options.reference + slack) return at;
  }
  return null;
}

/** One line of an auth.log: a failure event, another syslog line, or not a syslog line. */
export function parseAuthlogLine(line: string, options: AuthlogOptions): LineResult {
  let at: Micros | null;
  let host: string;
  let program: string;
  let pid: string | undefined;
  let message: string;
  const c = classicLine.exec(line);
  if (c) {
    const month = months[c[1] as string];
    at = month === undefined ? null : classicMicros(month, Number(c[2]), Number(c[3]), Number(c[4]), Number(c[5]), options);
    [host, program, pid, message] = [c[6] as string, c[7] as string, c[8], c[9] as string];
  } else {
    const r = rfc3339Line.exec(line);
    if (!r) return { kind: 'malformed' };
    const ms = Date.parse(`${r[1]}${r[3]}`);
    at = Number.isNaN(ms) ? null : ms * 1000 + Number(((r[2] ?? '.').slice(1) + '000000').slice(0, 6));
    [host, program, pid, message] = [r[4] as string, r[5] as string, r[6], r[7] as string];
  }
  if (at === null) return { kind: 'malformed' };
  if (!sshProgram.test(program)) return { kind: 'other' };
  const what = parseSshdMessage(message);
  if (what === null) return { kind: 'other' };
  return { kind: 'event', event: { ...what, at, host, pid: pid === undefined ? 0 : Number(pid) } };
}

export interface AuthlogCounts {
  events: number;
  /** Lines that are not syslog lines (no timestamp, host and program): skipped and counted. */
  malformed: number;
}

/** Turns the lines of one file into records; `host` overrides the host named in each line. */
export class AuthlogImporter {
  readonly counts: AuthlogCounts = { events: 0, malformed: 0 };
  private readonly bootIds = new Map<string, string>();

  constructor(
    private readonly options: AuthlogOptions & { host: string | null },
    private readonly emit: (record: AuthFailureRecord) => void,
  ) {}

  addLine(line: string): void {
    if (line === '') return;
    const parsed = parseAuthlogLine(line.endsWith('\r') ? line.slice(0, -1) : line, this.options);
    if (parsed.kind === 'malformed') {
      this.counts.malformed++;
      return;
    }
    if (parsed.kind === 'other') return;
    const e = parsed.event;
    const host = this.options.host ?? e.host;
    let bootId = this.bootIds.get(host);
    // auth.log does not say which boot a line belongs to: one name-based boot per host stands
    // for "unknown", as in the other imports that lack boots.
    if (bootId === undefined) this.bootIds.set(host, (bootId = uuidV5(`${host}\u0000authlog-boot`)));
    const truncated: string[] = [];
    const cap = (value: string, field: string) => {
      const c = capUtf8(value);
      if (c.cut) truncated.push(field);
      return c.value;
    };
    const login: build.Login = {
      user: cap(e.user, 'user'),
      uid: null,
      tty: 'ssh',
      rhost: cap(e.rhost, 'rhost'),
      ruser: null,
      service: 'sshd',
      pid: e.pid,
      pid_start: 0,
      truncated,
    };
    const eventId = uuidV5(`${host}\u0000authlog\u0000${e.at}\u0000${line}`);
    this.counts.events++;
    this.emit(build.authFailure({ host, boot_id: bootId, source: 'authlog' }, login, e.at, { event_id: eventId }));
  }
}
