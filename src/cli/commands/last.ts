// `logsphere last`: login history, newest first, in the manner of util-linux last.

import { parseCommandArgs } from '../args.ts';
import type { Config } from '../../config/config.ts';
import { history, type HistoryLine } from '../../queries/history.ts';
import { sessionJson } from '../../queries/session-json.ts';
import { parseTimestamp, type Micros } from '../../record/time.ts';
import { cell, pad } from '../../text/terminal.ts';
import { clockTime, duration, isoTime, parseTimeArgument, shortTime } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { parseLimit, parseTimeFormat, queryOptions } from '../query-options.ts';
import { defineCommand } from '../command.ts';
import { jsonText } from '../../record/json-text.ts';

export const lastUsage = `Usage: logsphere last [OPTIONS]

Login history, newest first: user, tty, from, login - logout (duration), or still logged in,
down (the host shut down), crash (it rebooted without a shutdown), gone - no logout (the
session's process ended without closing it).

Options:
      --json              print the sessions (and with --system the boots) as a JSON array
  -n, --limit N           at most N lines
      --since T           sessions active at or after T
      --until T           sessions that began at or before T
      --user USER         only sessions of USER
      --host HOST         only sessions on HOST
      --system            add reboot and shutdown lines
      --time-format F     short (default) or iso
      --input PATH        read PATH (file, directory, or - for stdin); repeatable
  -w, --wide              do not cut long fields
  -h, --help              show this help

T is RFC 3339, YYYY-MM-DD[ HH:MM], today, yesterday, now, or relative: --since=-7d, -12h, -30m.
`;

export interface LastOptions {
  json: boolean;
  limit: number | null;
  since: Micros | null;
  until: Micros | null;
  user: string | null;
  host: string | null;
  system: boolean;
  timeFormat: 'short' | 'iso';
  inputs: string[];
  wide: boolean;
}

export function parseLastArgs(args: string[], now: Micros): LastOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...queryOptions,
      limit: { type: 'string', short: 'n' },
      since: { type: 'string' },
      until: { type: 'string' },
      system: { type: 'boolean', default: false },
      'time-format': { type: 'string', default: 'short' },
    },
  });
  if (values.help) return 'help';
  const limit = parseLimit(values.limit);
  const format = parseTimeFormat(values['time-format']);
  return {
    json: values.json,
    limit,
    since: values.since === undefined ? null : parseTimeArgument(values.since, now, '--since'),
    until: values.until === undefined ? null : parseTimeArgument(values.until, now, '--until'),
    user: values.user ?? null,
    host: values.host ?? null,
    system: values.system,
    timeFormat: format,
    inputs: values.input ?? [],
    wide: values.wide,
  };
}

export function last(options: LastOptions, config: Config, io: CommandIO, now: Micros): number {
  const { lines, warnings } = history(options, config, now);
  for (const w of warnings) io.stderr(`logsphere: ${w}\n`);
  const limit = options.limit ?? Infinity;

  // Written in pieces: a whole history as one string would not fit in memory either.
  let out = options.json ? '[' : '';
  const flush = (force: boolean) => {
    if (out.length > (force ? 0 : 1 << 20)) {
      io.stdout(out);
      out = '';
    }
  };
  let first = true;
  // A host column only when the lines come from more than one host.
  const hosts = new Set<string>();
  if (!options.json) {
    let n = 0;
    for (const l of lines()) {
      if (n++ >= limit || hosts.add('session' in l ? l.session.host : l.system.host).size > 1) break;
    }
  }
  const manyHosts = hosts.size > 1;
  let shown = 0;
  for (const l of lines()) {
    if (shown++ >= limit) break;
    if (options.json) {
      const object = 'session' in l ? sessionJson(l.session) : { event: l.system.event, host: l.system.host, boot_id: l.system.boot_id, ts: l.system.ts, kernel: l.system.kernel };
      out += `${first ? '\n' : ',\n'}${jsonText(object)}`;
    } else {
      out += lastLine(l, options, manyHosts, now);
    }
    first = false;
    flush(false);
  }
  if (options.json) out += first ? ']\n' : '\n]\n';
  flush(true);
  return 0;
}

function lastLine(line: HistoryLine, options: LastOptions, manyHosts: boolean, now: Micros): string {
  const time = (t: Micros) => (options.timeFormat === 'iso' ? isoTime(t) : shortTime(t));
  const until = (t: Micros) => (options.timeFormat === 'iso' ? isoTime(t) : clockTime(t));
  const w = options.wide;
  const host = 'session' in line ? line.session.host : line.system.host;
  const prefix = manyHosts ? `${pad(cell(host, 16, w), 16)} ` : '';
  if ('system' in line) {
    const e = line.system;
    const who = e.event === 'boot' ? 'reboot' : 'shutdown';
    const what = e.event === 'boot' ? 'system boot' : 'system down';
    return `${prefix}${pad(who, 8)} ${pad(what, 12)} ${pad(cell(e.kernel ?? '', 16, w), 16)} ${time(line.at)}\n`;
  }
  const s = line.session;
  const head = `${prefix}${pad(cell(s.user, 8, w), 8)} ${pad(cell(s.tty ?? '-', 12, w), 12)} ${pad(cell(s.rhost ?? '', 16, w), 16)} ${time(line.at)}`;
  const logout = s.logout_time === null ? null : parseTimestamp(s.logout_time);
  const took = s.duration_s === null ? '' : `(${duration(s.duration_s)})`;
  switch (s.end) {
    case null:
      return `${head}   still logged in\n`;
    case 'gone':
      return `${head}   gone - no logout\n`;
    case 'logout':
      return `${head} - ${until(logout ?? now)}  ${took}\n`;
    case 'down':
      return `${head} - down   ${took}\n`;
    case 'crash':
      return `${head} - crash  ${took}\n`;
  }
}

export const lastCommand = defineCommand({
  name: 'last',
  usage: lastUsage,
  parse: parseLastArgs,
  run: async (options, { config, io, now }) => last(options, await config(), io, now),
});
