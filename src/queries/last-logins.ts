// The last login of each user, as lastlog and lastlog2 keep it: for each user (on each host, when
// the records come from several) the latest session_open of a login service. User switches (su,
// sudo, ... the configured switch services) are not logins, as pam_lastlog does not record them.
// The logins are the history's (history.ts), so the same inputs are read (logs, wtmp files, the
// fleet store) and an ssh login shows the pty its close recorded. Accounts of passwd without a
// login are listed as never logged in when asked.

import type { Config } from '../config/config.ts';
import type { Micros } from '../record/time.ts';
import type { Account } from '../sys/passwd-accounts.ts';
import { history, terminalOf, type HistoryRead } from './history.ts';
import type { RecordSource } from './record-source.ts';

/** lastlog's `-u`: a login name, or a range of uids (either end may be open). */
export type UserSelection = { name: string } | { uids: { min: number | null; max: number | null } };

export interface LastLoginsRequest {
  /** Files or directories to read, or wtmp files; empty: the log directory. */
  inputs: readonly string[];
  user: UserSelection | null;
  host: string | null;
  /** Only last logins at or before this instant (lastlog -b), and the accounts never logged in. */
  before: Micros | null;
  /** Only last logins at or after this instant (lastlog -t); no account never logged in. */
  since: Micros | null;
  /** The accounts of passwd, for `never`. */
  accounts: readonly Account[];
  /** Also the accounts (those `user` selects) without a login among the records read. */
  never: boolean;
  /** Records from elsewhere than files (the fleet store), instead of `inputs`. */
  source?: RecordSource;
}

/** A user's last login on a host; for an account that never logged in, all but user and uid null. */
export interface LastLogin {
  user: string;
  uid: number | null;
  host: string | null;
  /** The terminal: the pty of an ssh session when one is known, else the PAM tty. */
  tty: string | null;
  rhost: string | null;
  service: string | null;
  at: Micros | null;
  /** RFC 3339, as the session's login_time. */
  login_time: string | null;
  session_id: string | null;
}

export interface LastLogins {
  /** By uid (unknown last), user and host. */
  logins: LastLogin[];
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

/** lastlog's reading of `-u`: an account's name, else a uid (`1000`) or a range (`1000-1999`, `1000-`, `-999`), else a name. */
export function userSelection(text: string, accounts: readonly Account[]): UserSelection {
  if (accounts.some((a) => a.name === text)) return { name: text };
  const range = /^(\d{0,10})(-?)(\d{0,10})$/.exec(text);
  if (range !== null && (range[1] !== '' || range[3] !== '') && (range[2] === '-' || range[3] === '')) {
    const [, low = '', dash, high = ''] = range;
    const min = low === '' ? null : Number(low);
    return { uids: { min, max: dash === '' ? min : high === '' ? null : Number(high) } };
  }
  return { name: text };
}

function selects(user: UserSelection | null, name: string, uid: number | null): boolean {
  if (user === null) return true;
  if ('name' in user) return name === user.name;
  const { min, max } = user.uids;
  return uid !== null && (min === null || uid >= min) && (max === null || uid <= max);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function inOrder(a: LastLogin, b: LastLogin): number {
  return (a.uid ?? Infinity) - (b.uid ?? Infinity) || compare(a.user, b.user) || compare(a.host ?? '', b.host ?? '');
}

export function lastLogins(request: LastLoginsRequest, config: Config, now: Micros): LastLogins {
  const { user, source } = request;
  const h = history(
    {
      inputs: request.inputs,
      since: request.since,
      until: null,
      present: null,
      user: user !== null && 'name' in user ? user.name : null,
      host: request.host,
      names: [],
      boots: false,
      shutdowns: false,
      all: false,
      limit: null,
      ...(source === undefined ? {} : { source }),
    },
    config,
    now,
    (source === undefined ? 'auto' : 'whole') satisfies HistoryRead,
  );
  // Newest first: the first line of a user on a host is their last login there.
  const latest = new Map<string, Map<string, LastLogin>>();
  for (const line of h.lines()) {
    if (!('session' in line)) continue;
    const { host, user: name } = line.brief();
    let users = latest.get(host);
    if (users === undefined) latest.set(host, (users = new Map()));
    if (users.has(name)) continue;
    const s = line.session;
    users.set(name, { user: s.user, uid: s.uid, host: s.host, tty: terminalOf(s), rhost: s.rhost, service: s.service, at: line.at, login_time: s.login_time, session_id: s.session_id });
  }
  const loggedIn = new Set<string>();
  const logins: LastLogin[] = [];
  for (const users of latest.values()) {
    for (const l of users.values()) {
      loggedIn.add(l.user);
      // As lastlog: the last login is what -u, -b and -t select by, not any login.
      if (selects(user, l.user, l.uid) && (request.before === null || (l.at as Micros) <= request.before)) logins.push(l);
    }
  }
  // No account was seen logging in since -t's day: lastlog -t leaves the never logged in out.
  if (request.never && request.since === null) {
    const listed = new Set<string>();
    for (const a of request.accounts) {
      if (loggedIn.has(a.name) || listed.has(a.name) || !selects(user, a.name, a.uid)) continue;
      listed.add(a.name);
      logins.push({ user: a.name, uid: a.uid, host: null, tty: null, rhost: null, service: null, at: null, login_time: null, session_id: null });
    }
  }
  return { logins: logins.sort(inOrder), warnings: h.warnings, incomplete: h.incomplete };
}
