// `logsphere sessions`: who is logged in now.

import { parseCommandArgs } from '../args.ts';
import type { Config } from '../../config/config.ts';
import { currentSessions, type CurrentSession } from '../../queries/current-sessions.ts';
import { sessionJson } from '../../queries/session-json.ts';
import { escapeText } from '../../text/terminal.ts';
import { renderColumnsBytes, type Column, type TableLayout } from '../../text/table.ts';
import { duration, shortTime } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import type { RecordSource } from '../../queries/record-source.ts';
import { queryOptions } from '../query-options.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';
import { jsonArray } from '../format/json.ts';
import { staleAfter } from '../../fleet/heartbeat.ts';
import { formatTimestamp, type Micros } from '../../record/time.ts';

export const sessionsUsage = `Usage: logsphere sessions [OPTIONS]

Who is logged in now: user, tty (the pty of an ssh session), from, service,
login time, how long, session id. Logins only: user switches (su, sudo, ...)
are listed with --all.

Options:
      --json            print the sessions as a JSON array
      --by-host         one line per host: "host: user, user"
      --user USER       only sessions of USER
      --host HOST       only sessions on HOST
      --include-gone    also sessions ended without a logout: no process is left
      --all             also user switches (LOGSPHERE_SWITCH_SERVICES: su, sudo, ...)
      --input PATH      read PATH (file, directory, or - for stdin); repeatable
      --db URL          answer from the fleet store (PostgreSQL) for every host
                        in it; --db= takes LOGSPHERE_DATABASE_URL. A session
                        is verified when its host's ship was heard from in
                        the last 3 minutes (VERIFIED; verified and
                        host_last_contact in JSON); a host says itself which
                        of its sessions are gone
  -w, --wide            do not cut long fields
  -h, --help            show this help
`;

export interface SessionsOptions {
  json: boolean;
  byHost: boolean;
  user: string | null;
  host: string | null;
  includeGone: boolean;
  /** Also user switches (su, sudo, ...), not only logins. */
  all: boolean;
  inputs: string[];
  wide: boolean;
  /** The fleet store to answer from (--db URL), instead of files. */
  db?: string | null;
}

export function parseSessionsArgs(args: string[]): SessionsOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...queryOptions,
      'by-host': { type: 'boolean', default: false },
      'include-gone': { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      db: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (values.db !== undefined && values.input !== undefined) throw new UsageError('--db and --input do not go together');
  return {
    db: values.db ?? null,
    json: values.json,
    byHost: values['by-host'],
    user: values.user ?? null,
    host: values.host ?? null,
    includeGone: values['include-gone'],
    all: values.all,
    inputs: values.input ?? [],
    wide: values.wide,
  };
}

export function sessions(options: SessionsOptions, config: Config, io: CommandIO, now: number, layout: Omit<TableLayout, 'wide'> = { width: 80 }, source?: RecordSource): number {
  const { sessions: current, warnings, incomplete } = currentSessions(source === undefined ? options : { ...options, source }, config, io.env);
  if (options.byHost) {
    const byHost = new Map<string, string[]>();
    for (const s of current) {
      const users = byHost.get(s.host) ?? [];
      if (!users.includes(s.user)) users.push(s.user);
      byHost.set(s.host, users);
    }
    const hosts = [...byHost.keys()].sort();
    // With --json, the same answer as objects: {"host": …, "users": […]}.
    if (options.json) io.stdout(jsonArray(hosts.map((host) => ({ host, users: byHost.get(host) ?? [] }))));
    else for (const host of hosts) io.stdout(`${escapeText(host)}: ${(byHost.get(host) ?? []).map(escapeText).join(', ')}\n`);
  } else if (options.json) {
    // From the fleet store, each session also says whether its host was heard from lately.
    const contact = source?.lastContact;
    io.stdout(jsonArray(contact === undefined ? current.map(sessionJson) : current.map((s) => ({ ...sessionJson(s), ...hostContact(contact, s.host, now) }))));
  } else {
    io.stdout(sessionsTable(current, { ...layout, wide: options.wide }, now, source?.lastContact));
  }
  // The warnings after the answer; an answer from an input read only up to its damage exits 1.
  for (const w of warnings) io.stderr(`logsphere: ${w}\n`);
  return incomplete ? 1 : 0;
}

/** The sessions as a table fitted to the layout's width: user, tty, from, service, login, time, id. */
/** Whether a session's host was heard from within staleAfter (the fleet's heartbeats), and when it last was. */
export function hostContact(contact: ReadonlyMap<string, Micros>, host: string, now: Micros): { verified: boolean; host_last_contact: string | null } {
  const at = contact.get(host);
  return { verified: at !== undefined && now - at <= staleAfter, host_last_contact: at === undefined ? null : formatTimestamp(at) };
}

/** The VERIFIED column: yes, or when the host was last heard from (never: not at all). */
function verifiedText(contact: ReadonlyMap<string, Micros>, host: string, now: Micros): string {
  const at = contact.get(host);
  if (at === undefined) return 'never';
  return now - at <= staleAfter ? 'yes' : `no, ${shortTime(at)}`;
}

export function sessionsTable(list: readonly CurrentSession[], layout: TableLayout, now: number, contact?: ReadonlyMap<string, Micros>): Buffer {
  const manyHosts = list.some((s) => s.host !== list[0]?.host);
  const columns: Column[] = [
    ...(manyHosts ? [{ title: 'HOST', min: 8 }] : []),
    { title: 'USER', min: 8 },
    { title: 'TTY', min: 6 },
    { title: 'FROM', min: 10 },
    { title: 'SERVICE', min: 7 },
    { title: 'LOGIN' },
    { title: 'TIME' },
    { title: 'SESSION' },
  ];
  // Column by column (renderColumnsBytes): no array per row.
  const values = [
    list.map((s) => s.user),
    list.map((s) => s.pty ?? s.tty ?? '-'),
    list.map((s) => s.rhost ?? '-'),
    list.map((s) => s.service),
    list.map((s) => shortTime(s.login_at)),
    list.map((s) => (s.end === 'gone' ? 'gone' : duration(Math.max(0, (now - s.login_at) / 1e6)))),
    list.map((s) => s.session_id.slice(-8)),
  ];
  if (manyHosts) values.unshift(list.map((s) => s.host));
  if (contact !== undefined) {
    columns.push({ title: 'VERIFIED' });
    values.push(list.map((s) => verifiedText(contact, s.host, now)));
  }
  return renderColumnsBytes(columns, values, layout);
}

export const sessionsCommand = defineCommand({
  name: 'sessions',
  usage: sessionsUsage,
  parse: parseSessionsArgs,
  run: async (options, { config, io, now, width, paint }) => {
    if (options.db === null || options.db === undefined) return sessions(options, await config(), io, now, { width, paint });
    const { urlFromSecretsFile } = await import('../../fleet/db.ts');
    const loaded = await config({ secrets: urlFromSecretsFile(options.db, io.env) });
    const { withFleetSource } = await import('../../fleet/fleet-source.ts');
    return withFleetSource(options.db, loaded, io, options.host, (source) => sessions(options, loaded, io, now, { width, paint }, source), 'current');
  },
});
