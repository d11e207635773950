// `logsphere sessions`: who is logged in now.

import { parseCommandArgs } from '../args.ts';
import type { Config } from '../../config/config.ts';
import { currentSessions, type CurrentSession } from '../../queries/current-sessions.ts';
import { sessionJson } from '../../queries/session-json.ts';
import { parseTimestamp } from '../../record/time.ts';
import { cell, escapeText, pad } from '../../text/terminal.ts';
import { duration, shortTime } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { queryOptions } from '../query-options.ts';
import { defineCommand } from '../command.ts';
import { jsonArray } from '../format/json.ts';

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
    },
  });
  if (values.help) return 'help';
  return {
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

export function sessions(options: SessionsOptions, config: Config, io: CommandIO, now: number): number {
  const { sessions: current, warnings, incomplete } = currentSessions(options, config, io.env);
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
    io.stdout(jsonArray(current.map(sessionJson)));
  } else {
    io.stdout(sessionsTable(current, options.wide, now));
  }
  // The warnings after the answer; an answer from an input read only up to its damage exits 1.
  for (const w of warnings) io.stderr(`logsphere: ${w}\n`);
  return incomplete ? 1 : 0;
}

export function sessionsTable(list: readonly CurrentSession[], wide: boolean, now: number): string {
  const manyHosts = new Set(list.map((s) => s.host)).size > 1;
  const header = [...(manyHosts ? [['HOST', 16]] : []), ['USER', 12], ['TTY', 12], ['FROM', 20], ['SERVICE', 10], ['LOGIN', 16], ['TIME', 8], ['SESSION', 8]] as Array<[string, number]>;
  const rows = list.map((s) => {
    const login = parseTimestamp(s.login_time) ?? now;
    const ended = s.end === 'gone' ? 'gone' : duration(Math.max(0, (now - login) / 1e6));
    return [
      ...(manyHosts ? [cell(s.host, 16, wide)] : []),
      cell(s.user, 12, wide),
      cell(s.pty ?? s.tty ?? '-', 12, wide),
      cell(s.rhost ?? '-', 20, wide),
      cell(s.service, 10, wide),
      shortTime(login),
      ended,
      s.session_id.slice(-8),
    ];
  });
  const widths = header.map(([title, width], i) => (wide ? Math.max(title.length, ...rows.map((r) => [...(r[i] ?? '')].length)) : width));
  const line = (fields: string[]) => `${fields.map((f, i) => (i === fields.length - 1 ? f : pad(f, widths[i] ?? 0))).join(' ').trimEnd()}\n`;
  return line(header.map(([title]) => title)) + rows.map(line).join('');
}

export const sessionsCommand = defineCommand({
  name: 'sessions',
  usage: sessionsUsage,
  parse: parseSessionsArgs,
  run: async (options, { config, io, now }) => sessions(options, await config(), io, now),
});
