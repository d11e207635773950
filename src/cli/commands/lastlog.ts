// `logsphere lastlog`: the last login of each user, as lastlog and util-linux lastlog2 take their
// options (-u, -b, -t) and print their lines: Username, Port, From, Latest, and
// **Never logged in** for an account without a login. What the last logins are is the use
// case's (src/queries/last-logins.ts).

import type { Config } from '../../config/config.ts';
import { InputError } from '../../input/input-error.ts';
import { lastLogins, userSelection, type LastLogin } from '../../queries/last-logins.ts';
import type { RecordSource } from '../../queries/record-source.ts';
import { defaultSwitchServices } from '../../reconcile/types.ts';
import type { Micros } from '../../record/time.ts';
import { oddLinesWarning, passwdPath, readPasswdAccounts, type Account } from '../../sys/passwd-accounts.ts';
import { cell, charLength, escapeText, pad } from '../../text/terminal.ts';
import { parseCommandArgs } from '../args.ts';
import { defineCommand } from '../command.ts';
import { jsonArray } from '../format/json.ts';
import { shortTime } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { queryOptions } from '../query-options.ts';
import { UsageError } from '../usage.ts';

export const lastlogUsage = `Usage: logsphere lastlog [OPTIONS]

The last login of each user, as lastlog and lastlog2 print it: user, port
(the tty, or the pty of an ssh session), remote host and time; with records
of several hosts, a user's last login on each host. Logins only: user
switches (su, sudo, ...) are not logins. The users are those of the records;
--accounts adds the accounts of /etc/passwd that never logged in.

Options:
  -u, --user USER       only USER: a login name, a uid, or a range of uids
                        (1000-1999, 1000-, -999); an account of /etc/passwd
                        without a login shows as **Never logged in**
  -b, --before DAYS     only last logins older than DAYS days (and accounts
                        that never logged in)
  -t, --time DAYS       only last logins within the last DAYS days
      --accounts        also every account of /etc/passwd without a login
                        among the records: **Never logged in**
      --json            the last logins as a JSON array
      --host HOST       only logins on HOST
      --input PATH      read PATH (a file, a directory, - for stdin, or a
                        wtmp file); repeatable
      --db URL          answer from the fleet store (PostgreSQL) for every
                        host in it (--host to narrow); --db= takes the URL
                        from LOGSPHERE_DATABASE_URL in secrets.env
  -w, --wide            do not cut the port
  -h, --help            show this help
`;

export interface LastlogOptions {
  json: boolean;
  /** lastlog's -u as given: a login name, a uid or a range of uids. */
  user: string | null;
  /** -b: only last logins at least this many days old. */
  beforeDays: number | null;
  /** -t: only last logins at most this many days old. */
  timeDays: number | null;
  /** Also the accounts of passwd without a login. */
  accounts: boolean;
  host: string | null;
  inputs: string[];
  wide: boolean;
  /** The fleet store to answer from (--db URL), instead of files. */
  db?: string | null;
}

/** A number of days, as lastlog takes it: digits only. */
function parseDays(value: string | undefined, option: string): number | null {
  if (value === undefined) return null;
  const days = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(days)) throw new UsageError(`${option}: expected a number of days, got ${JSON.stringify(value)}`);
  return days;
}

export function parseLastlogArgs(args: string[]): LastlogOptions | 'help' {
  const { json, host, input, wide, help } = queryOptions;
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      json, host, input, wide, help,
      user: { type: 'string', short: 'u' },
      before: { type: 'string', short: 'b' },
      time: { type: 'string', short: 't' },
      accounts: { type: 'boolean', default: false },
      db: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (values.db !== undefined && values.input !== undefined) throw new UsageError('--db and --input do not go together');
  return {
    json: values.json,
    user: values.user ?? null,
    beforeDays: parseDays(values.before, '--before'),
    timeDays: parseDays(values.time, '--time'),
    accounts: values.accounts,
    host: values.host ?? null,
    inputs: values.input ?? [],
    wide: values.wide,
    db: values.db ?? null,
  };
}

/** The accounts of passwd, when the options need them (--accounts, -u), and what reading them had to say. */
export interface KnownAccounts {
  accounts: Account[];
  /** Where they were read from, to name it. */
  path: string;
  warnings: string[];
}

export function knownAccounts(options: Pick<LastlogOptions, 'accounts' | 'user'>, path = passwdPath): KnownAccounts {
  if (!options.accounts && options.user === null) return { accounts: [], path, warnings: [] };
  try {
    const read = readPasswdAccounts(path);
    return { accounts: read.accounts, path, warnings: read.odd > 0 ? [oddLinesWarning(path, read.odd)] : [] };
  } catch (error) {
    // -u alone still answers from the records: only its never-logged-in line needs the accounts.
    if (options.accounts || !(error instanceof InputError)) throw error;
    return { accounts: [], path, warnings: [`${error.message}; an account without a login is not shown`] };
  }
}

/** The instant `days` days before `now`; null for no days given. */
const daysAgo = (now: Micros, days: number | null): Micros | null => (days === null ? null : now - days * 86_400e6);

const two = (n: number) => String(n).padStart(2, '0');

/** `Sat Nov 21 09:00:00 +0000 2026` in local time: strftime's `%a %b %e %H:%M:%S %z %Y`, lastlog's Latest. */
export function latestTime(micros: Micros): string {
  const d = new Date(Math.floor(micros / 1000));
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${shortTime(micros)}:${two(d.getSeconds())} ${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)} ${d.getFullYear()}`;
}

const never = '**Never logged in**';

/**
 * lastlog2's lines (`%-16s %-8.8s %-42s %s`), a heading first, nothing when there is nothing to
 * list; a Host column first when the logins are of more than one host. Record text is escaped;
 * only the port is cut (with -w not even that).
 */
export function lastlogText(logins: readonly LastLogin[], wide: boolean): string {
  if (logins.length === 0) return '';
  const hosts = new Set<string>();
  for (const l of logins) if (l.host !== null) hosts.add(escapeText(l.host));
  let hostWidth = 0;
  if (hosts.size > 1) for (const h of ['Host', ...hosts]) hostWidth = Math.max(hostWidth, charLength(h));
  const line = (host: string, user: string, port: string, from: string, latest: string) =>
    `${hostWidth > 0 ? `${pad(host, hostWidth)} ` : ''}${pad(user, 16)} ${pad(port, 8)} ${pad(from, 42)} ${latest}\n`;
  // Joined a thousand rows at a time: one string grown row by row is a chain of all its pieces
  // until it is written, which for every login of a fleet is gigabytes.
  const chunks: string[] = [];
  let rows = [line('Host', 'Username', 'Port', 'From', 'Latest')];
  for (const l of logins) {
    rows.push(line(escapeText(l.host ?? ''), escapeText(l.user), cell(l.tty, 8, wide), escapeText(l.rhost ?? ''), l.at === null ? never : latestTime(l.at)));
    if (rows.length === 1000) {
      chunks.push(rows.join(''));
      rows = [];
    }
  }
  chunks.push(rows.join(''));
  return chunks.join('');
}

export function loginJson(l: LastLogin) {
  return { user: l.user, uid: l.uid, host: l.host, tty: l.tty, rhost: l.rhost, service: l.service, last_login: l.login_time, session_id: l.session_id };
}

export function lastlog(options: LastlogOptions, config: Config, io: CommandIO, now: Micros, known: KnownAccounts = knownAccounts(options), source?: RecordSource): number {
  const user = options.user === null ? null : userSelection(options.user, known.accounts);
  const isAccount = user !== null && 'name' in user && known.accounts.some((a) => a.name === user.name);
  const answer = lastLogins(
    {
      inputs: options.inputs,
      user,
      host: options.host,
      before: daysAgo(now, options.beforeDays),
      since: daysAgo(now, options.timeDays),
      accounts: known.accounts,
      // As lastlog2 -u: an account named shows even without a login.
      never: options.accounts || isAccount,
      ...(source === undefined ? {} : { source }),
    },
    config,
    now,
  );
  io.stdout(options.json ? jsonArray(answer.logins.map(loginJson)) : lastlogText(answer.logins, options.wide));
  const notes: string[] = [];
  if (user !== null && 'name' in user && !isAccount && answer.logins.length === 0 && options.beforeDays === null && options.timeDays === null) {
    notes.push(`no login of ${escapeText(user.name)} recorded, and no such account in ${known.path}`);
  }
  // The warnings after the answer; an answer from an input read only up to its damage exits 1.
  for (const w of [...known.warnings, ...answer.warnings, ...notes]) io.stderr(`logsphere: ${w}\n`);
  return answer.incomplete ? 1 : 0;
}

export const lastlogCommand = defineCommand({
  name: 'lastlog',
  usage: lastlogUsage,
  parse: parseLastlogArgs,
  run: async (options, { config, io, now }) => {
    if (options.db === null || options.db === undefined) return lastlog(options, await config(), io, now);
    const { urlFromSecretsFile } = await import('../../fleet/db.ts');
    const loaded = await config({ secrets: urlFromSecretsFile(options.db, io.env) });
    const known = knownAccounts(options);
    const user = options.user === null ? null : userSelection(options.user, known.accounts);
    const { withFleet } = await import('../../fleet/fleet-source.ts');
    const { fleetLastLoginRecords } = await import('../../fleet/fleet-last-logins.ts');
    return withFleet(options.db, loaded, io, async (db, name) => {
      const source = await fleetLastLoginRecords(
        db,
        {
          host: options.host,
          user: user !== null && 'name' in user ? user.name : null,
          since: daysAgo(now, options.timeDays),
          switchServices: loaded.switchServices ?? defaultSwitchServices,
        },
        name,
      );
      return lastlog(options, loaded, io, now, known, source);
    });
  },
});
