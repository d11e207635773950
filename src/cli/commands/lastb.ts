// `logsphere lastb`: `failed` as util-linux lastb takes its arguments and prints its lines
// (each failure as a line of last whose logout is its own time), ending with where each input
// begins. What the lines are is the use case's (src/queries/failed-history.ts).

import type { Config } from '../../config/config.ts';
import { failedHistory } from '../../queries/failed-history.ts';
import type { HistoryRead } from '../../queries/history.ts';
import { parseTimestamp, type Micros } from '../../record/time.ts';
import { parseCommandArgs } from '../args.ts';
import { defineCommand } from '../command.ts';
import { beginsText, lengthOf, hostWidths, oneHost, rowText, timeColumns, type LastLayout } from '../format/last-line.ts';
import { parseTimeArgument } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { lastLayout, lastStyleOptions, limitWords, parseLimit, timeRange } from '../query-options.ts';
import { jsonArray } from '../format/json.ts';
import { failureJson } from './failed.ts';

export const lastbUsage = `Usage: logsphere lastb [OPTIONS] [USER|TTY]...

Failed logins, newest first, as util-linux lastb prints them (logsphere failed
with lastb's options): user, tty, from, time; at the end, where each input
begins. Names select the failures of a user or a tty (ssh:notty; 1 for tty1).

Options:
      --json            the failures as a JSON array, as failed --json
  -n, --limit N, -N     at most N lines
  -s, --since T         failures at or after T
  -t, --until T         failures at or before T
  -F, --fulltimes       full times and dates
      --time-format F   notime, short (default), full or iso
  -i, --ip              remote hosts as addresses; 0.0.0.0 for none
  -a, --hostlast        the remote host in the last column
  -R, --nohostname      no remote host column
  -w, --wide            full user names and hosts, nothing cut
      --user USER       only failures for USER
      --host HOST       only failures on HOST
  -f, --file PATH       read PATH: a log file, a directory, - (stdin) or a
                        btmp file; repeatable. Default: the log directory
      --input PATH      the same as -f
  -h, --help            show this help

T: RFC 3339, YYYY-MM-DD [HH:MM[:SS]], HH:MM (today), today, yesterday, now,
@SECONDS, or relative: -7d, -12h, -30m, -5min.
`;

export interface LastbOptions extends LastLayout {
  json: boolean;
  limit: number | null;
  since: Micros | null;
  until: Micros | null;
  /** lastb's names: users, ttys. */
  names: string[];
  user: string | null;
  host: string | null;
  inputs: string[];
}

export function parseLastbArgs(args: string[], now: Micros): LastbOptions | 'help' {
  const options = lastStyleOptions;
  const { values, positionals } = parseCommandArgs({ args: limitWords(args, options), strict: true, allowPositionals: true, options });
  if (values.help) return 'help';
  const time = (value: string | undefined, option: string) => (value === undefined ? null : parseTimeArgument(value, now, option));
  return {
    json: values.json,
    limit: parseLimit(values.limit),
    ...timeRange(time(values.since, '--since'), time(values.until, '--until')),
    names: positionals,
    user: values.user ?? null,
    host: values.host ?? null,
    ...lastLayout(values),
    inputs: [...(values.input ?? []), ...(values.file ?? [])],
  };
}

export function lastb(options: LastbOptions, config: Config, io: CommandIO, now: Micros, width = 80, how: HistoryRead = 'auto'): number {
  const answer = failedHistory(options, config, now, how);
  const failures = answer.failures.slice(0, options.limit ?? Infinity);
  if (options.json) io.stdout(jsonArray(failures.map(failureJson)));
  else {
    const widths = new Set(failures.map((f) => f.host)).size > 1 ? hostWidths(options, width) : oneHost;
    const stop = timeColumns[options.timeFormat].stop;
    let out = '';
    for (const f of failures) {
      const at = parseTimestamp(f.ts) ?? f.at;
      const host = options.ip ? (f.rhost ?? '0.0.0.0') : (f.rhost ?? '');
      // util-linux lastb writes each failure as a session that ended when it began.
      out += rowText({ machine: f.host, user: f.user, tty: f.tty ?? '', host, login: at, logout: `- ${stop(at)}`, length: lengthOf(at, at) }, options, widths);
      if (out.length > 1 << 20) {
        io.stdout(out);
        out = '';
      }
    }
    io.stdout(out + beginsText(answer.beginnings, options.timeFormat));
  }
  for (const w of [...answer.warnings, ...answer.notes]) io.stderr(`logsphere: ${w}\n`);
  return answer.incomplete ? 1 : 0;
}

export const lastbCommand = defineCommand({
  name: 'lastb',
  usage: lastbUsage,
  parse: parseLastbArgs,
  run: async (options, { config, io, now, width }) => lastb(options, await config(), io, now, width),
});
