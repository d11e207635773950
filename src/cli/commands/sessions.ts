// `logsphere sessions`: who is logged in now.

import { parseArgs } from 'node:util';
import type { Config } from '../../config/config.ts';
import { InputError } from '../../input/inputs.ts';
import { reconcile } from '../../reconcile/reconcile.ts';
import type { Session } from '../../reconcile/types.ts';
import { parseTimestamp } from '../../record/time.ts';
import { validateRecord } from '../../record/validate.ts';
import type { SessionRecord } from '../../record/types.ts';
import { listOpenSessions, openSessionsDirOf } from '../../store/open-sessions.ts';
import { descendantTerminal, processTree } from '../../sys/processes.ts';
import { cell, escapeText, pad } from '../../text/terminal.ts';
import { duration, shortTime } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { queryOptions } from '../query-options.ts';
import { loadCurrent, loadReconciled, localHost, localLiveness } from '../session-source.ts';

export const sessionsUsage = `Usage: logsphere sessions [OPTIONS]

Who is logged in now: user, tty, from, service, login time, how long, session id.

Options:
      --json            print the sessions as a JSON array
      --by-host         one line per host: "host: user, user"
      --user USER       only sessions of USER
      --host HOST       only sessions on HOST
      --include-gone    also sessions whose process is gone without a logout
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
  inputs: string[];
  wide: boolean;
}

export function parseSessionsArgs(args: string[]): SessionsOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...queryOptions,
      'by-host': { type: 'boolean', default: false },
      'include-gone': { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  return {
    json: values.json,
    byHost: values['by-host'],
    user: values.user ?? null,
    host: values.host ?? null,
    includeGone: values['include-gone'],
    inputs: values.input ?? [],
    wide: values.wide,
  };
}

/** A current session with the terminal found for it (sshd says `ssh` until a pty exists). */
export interface CurrentSession extends Session {
  pty?: string;
}

/** The session object of DESIGN.md's JSON output (plus `pty` when found). */
export function sessionJson(s: CurrentSession) {
  const object: Record<string, unknown> = {
    session_id: s.session_id, host: s.host, user: s.user, uid: s.uid, tty: s.tty, rhost: s.rhost,
    service: s.service, pid: s.pid, login_time: s.login_time, logout_time: s.logout_time,
    duration_s: s.duration_s, end: s.end,
  };
  if (s.pty !== undefined) object['pty'] = s.pty;
  return object;
}

/** Open sessions from the world-readable run directory (for users who cannot read the log). */
function fromRunDirectory(config: Config, alive: ReturnType<typeof localLiveness>) {
  const { records, unreadable } = listOpenSessions(config.runDir);
  const valid: SessionRecord[] = [];
  let malformed = unreadable;
  for (const r of records) {
    const checked = validateRecord(r);
    if (checked.ok) valid.push(checked.record);
    else malformed++;
  }
  return { ...reconcile(valid, alive), malformed };
}

export function sessions(options: SessionsOptions, config: Config, io: CommandIO, now: number): number {
  const local = localHost(config);
  const alive = localLiveness(local);
  let list: Session[];
  try {
    const loaded = options.inputs.length > 0 ? loadReconciled(options.inputs, config, alive) : loadCurrent(config, io.env, alive);
    for (const w of loaded.warnings) io.stderr(`logsphere: ${w}\n`);
    list = [];
    for (const i of loaded.order) {
      const end = loaded.endOf(i);
      if (end === null || end === 'gone') list.push(loaded.session(i));
    }
  } catch (error) {
    const denied = error instanceof InputError && (error.code === 'EACCES' || error.code === 'EPERM');
    if (!denied || options.inputs.length > 0) throw error;
    io.stderr(`logsphere: ${error.message}; answering from ${openSessionsDirOf(config.runDir)} (open sessions only)\n`);
    const fallback = fromRunDirectory(config, alive);
    if (fallback.malformed > 0) io.stderr(`logsphere: skipped ${fallback.malformed} unreadable entries in ${openSessionsDirOf(config.runDir)}\n`);
    list = fallback.sessions;
  }

  let current: CurrentSession[] = list.filter(
    (s) =>
      (s.end === null || (options.includeGone && s.end === 'gone')) &&
      (options.user === null || s.user === options.user) &&
      (options.host === null || s.host === options.host),
  );
  const needsPty = current.filter((s) => s.end === null && s.host === local.host && s.boot_id === local.bootId && (s.tty === null || s.tty === 'ssh'));
  if (needsPty.length > 0) {
    const tree = processTree();
    current = current.map((s) => {
      if (!needsPty.includes(s)) return s;
      const pty = descendantTerminal(s.pid, tree);
      return pty === null ? s : { ...s, pty };
    });
  }

  if (options.json) {
    io.stdout(`${JSON.stringify(current.map(sessionJson), null, 2)}\n`);
  } else if (options.byHost) {
    const byHost = new Map<string, string[]>();
    for (const s of current) {
      const users = byHost.get(s.host) ?? [];
      if (!users.includes(s.user)) users.push(s.user);
      byHost.set(s.host, users);
    }
    for (const host of [...byHost.keys()].sort()) {
      io.stdout(`${escapeText(host)}: ${(byHost.get(host) ?? []).map(escapeText).join(', ')}\n`);
    }
  } else {
    io.stdout(sessionsTable(current, options.wide, now));
  }
  return 0;
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
