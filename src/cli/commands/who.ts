// `logsphere who`: `sessions` as coreutils who takes its common options and prints its lines:
// name, line, time and comment; -u adds the idle time and pid, -T the message status, -b the
// last boot, -a all of these, -H a heading, -q the names and their count. What the lines are is
// the use case's (src/queries/who.ts).

import type { Config } from '../../config/config.ts';
import { sessionJson } from '../../queries/session-json.ts';
import { whoIsOn, type WhoEntry } from '../../queries/who.ts';
import { jsonText } from '../../record/json-text.ts';
import { parseTimestamp, type Micros } from '../../record/time.ts';
import { cell, escapeText, pad } from '../../text/terminal.ts';
import { parseCommandArgs } from '../args.ts';
import { defineCommand } from '../command.ts';
import type { CommandIO } from '../io.ts';
import { queryOptions } from '../query-options.ts';

export const whoUsage = `Usage: logsphere who [OPTIONS]

Who is logged in now (logsphere sessions), as coreutils who prints it: name,
line, login time and remote host.

Options:
  -a, --all           the same as -b -T -u
  -b, --boot          the time of the last boot
  -H, --heading       a line of column headings
  -q, --count         the login names and how many there are
  -T, -w, --mesg      whether each user takes messages: +, -, or ? (unknown)
  -u, --users         the idle time (. under a minute, old after a day) and pid
  -s, --short         name, line, time and remote host only (the default)
      --json          the sessions as a JSON array, as sessions --json
      --user USER     only sessions of USER
      --host HOST     only sessions on HOST
      --input PATH    read PATH (a file, a directory, or - for stdin);
                      repeatable
  -h, --help          show this help
`;

export interface WhoOptions {
  json: boolean;
  boot: boolean;
  heading: boolean;
  count: boolean;
  mesg: boolean;
  idle: boolean;
  /** Lines for boots only (-b alone): no users. */
  users: boolean;
  /** who -a's exit column (empty for logins, but for its heading). */
  exit: boolean;
  user: string | null;
  host: string | null;
  inputs: string[];
}

export function parseWhoArgs(args: string[]): WhoOptions | 'help' {
  const { json, user, host, input, help } = queryOptions;
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      json, user, host, input, help,
      all: { type: 'boolean', short: 'a', default: false },
      boot: { type: 'boolean', short: 'b', default: false },
      heading: { type: 'boolean', short: 'H', default: false },
      count: { type: 'boolean', short: 'q', default: false },
      mesg: { type: 'boolean', short: 'T', default: false },
      writable: { type: 'boolean', short: 'w', default: false },
      users: { type: 'boolean', short: 'u', default: false },
      short: { type: 'boolean', short: 's', default: false },
    },
  });
  if (values.help) return 'help';
  const all = values.all;
  return {
    json: values.json,
    boot: all || values.boot,
    heading: values.heading,
    count: values.count,
    mesg: all || values.mesg || values.writable,
    idle: all || values.users,
    // As in who: -b on its own lists the boot and no one.
    users: all || values.users || !values.boot,
    exit: all,
    user: values.user ?? null,
    host: values.host ?? null,
    inputs: values.input ?? [],
  };
}

const two = (n: number) => String(n).padStart(2, '0');

/** `2026-11-21 09:00` in local time: who's time in any locale but C. */
function whoTime(micros: Micros): string {
  const d = new Date(micros / 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** who's idle column: `  .  ` under a minute, HH:MM under a day since the boot, ` old ` else, `  ?` unknown. */
function idleText(entry: WhoEntry, now: Micros): string {
  const atime = entry.terminal?.atime;
  if (atime === undefined) return '  ?';
  if ((entry.bootedAt !== null && atime <= entry.bootedAt) || atime <= now - 86_400e6 || atime > now) return ' old ';
  const seconds = Math.floor((now - atime) / 1e6);
  return seconds < 60 ? '  .  ' : `${two(Math.floor(seconds / 3600))}:${two(Math.floor((seconds % 3600) / 60))}`;
}

interface WhoLine {
  name: string;
  state: string;
  line: string;
  time: string;
  idle: string;
  pid: string;
  comment: string;
}

export function who(options: WhoOptions, config: Config, io: CommandIO, now: Micros): number {
  const answer = whoIsOn({ inputs: options.inputs, user: options.user, host: options.host, boots: options.boot && !options.count && !options.json }, config, io.env);
  const entries = options.users ? answer.entries : [];
  if (options.json) io.stdout(entries.length === 0 ? '[]\n' : `[\n${entries.map((e) => jsonText(sessionJson(e.session))).join(',\n')}\n]\n`);
  else if (options.count) {
    io.stdout(`${entries.map((e) => escapeText(e.session.user)).join(' ')}\n# users=${entries.length}\n`);
  } else {
    // Without -u, -b or -a, who writes no pid column (its -s, the default).
    const short = !options.idle && !options.boot;
    const manyHosts = new Set([...entries.map((e) => e.session.host), ...answer.boots.map((b) => b.host)]).size > 1;
    const text = (l: WhoLine, host: string) => {
      const fields = [
        manyHosts ? `${pad(cell(host, 16, false), 16)} ` : '',
        pad(l.name, 8),
        options.mesg ? ` ${l.state}` : '',
        ` ${pad(l.line, 12)}`,
        ` ${pad(l.time, 16)}`,
        options.idle && !short ? ` ${pad(l.idle, 6)}` : '',
        short ? '' : ` ${l.pid.padStart(10)}`,
        ` ${pad(l.comment, 8)}`,
      ];
      return `${fields.join('').trimEnd()}\n`;
    };
    let out = '';
    if (options.heading) out += text({ name: 'NAME', state: ' ', line: 'LINE', time: 'TIME', idle: 'IDLE', pid: 'PID', comment: options.exit ? 'COMMENT  EXIT' : 'COMMENT' }, '');
    for (const b of answer.boots) out += text({ name: '', state: ' ', line: 'system boot', time: whoTime(b.at), idle: '', pid: '', comment: '' }, b.host);
    for (const e of entries) {
      const s = e.session;
      out += text({
        name: escapeText(s.user),
        state: e.terminal === null ? '?' : e.terminal.writable ? '+' : '-',
        line: escapeText(e.line ?? ''),
        time: whoTime(parseTimestamp(s.login_time) ?? now),
        idle: idleText(e, now),
        pid: String(s.pid),
        comment: s.rhost === null ? '' : `(${escapeText(s.rhost)})`,
      }, s.host);
    }
    io.stdout(out);
  }
  for (const w of answer.warnings) io.stderr(`logsphere: ${w}\n`);
  return answer.incomplete ? 1 : 0;
}

export const whoCommand = defineCommand({
  name: 'who',
  usage: whoUsage,
  parse: parseWhoArgs,
  run: async (options, { config, io, now }) => who(options, await config(), io, now),
});
