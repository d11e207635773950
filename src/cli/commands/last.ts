// `logsphere last`: login history, newest first, as util-linux last takes its arguments and
// prints its lines (the columns, the time formats, -a, -R, -i, -w, the reboot lines, the closing
// `… begins` line). What the lines are is the history use case's (src/queries/history.ts).

import type { Progress } from '../../text/progress.ts';
import type { Config } from '../../config/config.ts';
import { history, type History, type HistoryRead, type HistoryRequest, type SystemLine } from '../../queries/history.ts';
import type { RecordSource } from '../../queries/record-source.ts';
import { JsonBytes } from '../../record/json-bytes.ts';
import { jsonText } from '../../record/json-text.ts';
import { durationSeconds, formatTimestamp, type Micros } from '../../record/time.ts';
import { parseCommandArgs } from '../args.ts';
import { defineCommand } from '../command.ts';
import { beginsText, hostWidths, oneHost, rowText, sessionRow, systemRow, type LastLayout } from '../format/last-line.ts';
import { parseTimeArgument } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { lastLayout, lastStyleOptions, limitWords, parseLimit, timeRange } from '../query-options.ts';
import { UsageError } from '../usage.ts';

export const lastUsage = `Usage: logsphere last [OPTIONS] [USER|TTY|reboot]...

Login history, newest first, as util-linux last prints it: user, tty, from,
login - logout (duration), or still logged in, down (the host shut down),
crash (it rebooted without a shutdown), gone - no logout (nothing of the
session is left and it never closed); reboot lines with how long the system
ran; at the end, where each input begins. Names select the lines of a user,
a tty (pts/3, or 1 for tty1), or the reboot lines.

Options:
      --json            the sessions as a JSON array (and the boots and
                        shutdowns with -x, or with reboot named)
  -n, --limit N, -N     at most N lines
  -s, --since T         lines at or after T (sessions begun then or later)
  -t, --until T         lines at or before T
  -p, --present T       who was logged in at T (with -x, boots and shutdowns
                        spanning T too)
  -x, --system          add shutdown lines: how long the host was down
  -F, --fulltimes       full login and logout times and dates
      --time-format F   notime, short (default), full or iso
  -i, --ip              remote hosts as addresses; 0.0.0.0 for none
  -a, --hostlast        the remote host in the last column
  -R, --nohostname      no remote host column
  -w, --wide            full user names and hosts, nothing cut
      --user USER       only sessions of USER (no reboot lines)
      --host HOST       only sessions on HOST
      --all             also user switches (su, sudo, ...), not only logins
  -f, --file PATH       read PATH: a log file, a directory, - (stdin) or a
                        wtmp file; repeatable. Default: the log directory
      --input PATH      the same as -f
      --db URL          answer from the fleet store (PostgreSQL) for every
                        host in it (--host to narrow); --db= takes the URL
                        from LOGSPHERE_DATABASE_URL in secrets.env
  -h, --help            show this help

T: RFC 3339, YYYY-MM-DD [HH:MM[:SS]], HH:MM (today), today, yesterday, now,
@SECONDS, or relative: -7d, -12h, -30m, -5min.
`;

export interface LastOptions extends LastLayout {
  json: boolean;
  limit: number | null;
  since: Micros | null;
  until: Micros | null;
  present: Micros | null;
  /** util-linux's names: users, ttys, `reboot` (HistoryRequest.names). */
  names: string[];
  user: string | null;
  host: string | null;
  system: boolean;
  inputs: string[];
  /** Also user switches (su, sudo, ...), not only logins. */
  all: boolean;
  /** The fleet store to answer from (--db URL), instead of files. */
  db?: string | null;
}

const lastOptions = {
  ...lastStyleOptions,
  present: { type: 'string', short: 'p' },
  system: { type: 'boolean', short: 'x', default: false },
  all: { type: 'boolean', default: false },
  db: { type: 'string' },
} as const;

export function parseLastArgs(args: string[], now: Micros): LastOptions | 'help' {
  const { values, positionals } = parseCommandArgs({ args: limitWords(args, lastOptions), strict: true, allowPositionals: true, options: lastOptions });
  if (values.help) return 'help';
  const layout = lastLayout(values);
  const time = (value: string | undefined, option: string) => (value === undefined ? null : parseTimeArgument(value, now, option));
  return {
    json: values.json,
    limit: parseLimit(values.limit),
    ...timeRange(time(values.since, '--since'), time(values.until, '--until')),
    present: time(values.present, '--present'),
    names: positionals,
    user: values.user ?? null,
    host: values.host ?? null,
    system: values.system,
    ...layout,
    inputs: [...(values.input ?? []), ...(values.file ?? [])],
    all: values.all,
    db: values.db ?? null,
  };
}

/** What last asks of the history: boots are lines of the text as in util-linux; in JSON only when asked for. */
export function historyRequest(options: LastOptions): HistoryRequest {
  return {
    inputs: options.inputs,
    since: options.since,
    until: options.until,
    present: options.present,
    user: options.user,
    host: options.host,
    names: options.names,
    boots: !options.json || options.system || options.names.includes('reboot'),
    shutdowns: options.system,
    all: options.all,
    limit: options.limit,
  };
}

export function last(options: LastOptions, config: Config, io: CommandIO, now: Micros, width = 80, read: HistoryRead = 'auto', source?: RecordSource, progress?: Progress): number {
  return writeLast(history({ ...historyRequest(options), ...(source ? { source } : {}), ...(progress ? { progress } : {}) }, config, now, read), options, io, now, width);
}

/** Writes the lines of `h` as last's answer; its exit status. */
function writeLast(h: History, options: LastOptions, io: CommandIO, now: Micros, width: number): number {
  const limit = options.limit ?? Infinity;

  // Written in pieces: a whole history as one string would not fit in memory either.
  const out = new JsonBytes(io.stdout, 1 << 20, false);
  if (options.json) out.text('[');
  let first = true;
  // A host column only when the lines come from more than one host.
  const hosts = new Set<string>();
  if (!options.json) {
    let n = 0;
    for (const l of h.lines()) {
      if (n++ >= limit || hosts.add('session' in l ? l.session.host : l.system.host).size > 1) break;
    }
  }
  const widths = hosts.size > 1 ? hostWidths(options, width) : oneHost;
  let shown = 0;
  for (const l of h.lines()) {
    if (shown++ >= limit) break;
    if (options.json) {
      out.reserve(2);
      out.ascii(first ? '\n' : ',\n');
      if ('session' in l) l.jsonInto(out);
      else out.text(jsonText(systemJson(l)));
    } else out.text(rowText('session' in l ? sessionRow(l.brief(), l.at, options, now) : systemRow(l, options), options, widths));
    first = false;
  }
  if (options.json) out.text(first ? ']\n' : '\n]\n');
  else out.text(beginsText(h.beginnings, options.timeFormat));
  out.flush();
  // The warnings after the answer; an answer from an input read only up to its damage exits 1.
  for (const w of h.warnings) io.stderr(`logsphere: ${w}\n`);
  return h.incomplete ? 1 : 0;
}

function systemJson(l: SystemLine): Record<string, unknown> {
  const e = l.system;
  const end = l.end === null ? null : { end: l.end.by, end_time: formatTimestamp(l.end.at), duration_s: durationSeconds(l.at, l.end.at) };
  return { event: e.event, host: e.host, boot_id: e.boot_id, ts: e.ts, kernel: l.kernel, boot_time: e.boot_time, end: end?.end ?? null, end_time: end?.end_time ?? null, duration_s: end?.duration_s ?? null };
}

export const lastCommand = defineCommand({
  name: 'last',
  usage: lastUsage,
  parse: parseLastArgs,
  run: async (options, { config, io, now, width, progress }) => {
    // Progress of a whole read on a terminal's standard error, ended before the first line; never with --json.
    if (options.db === null || options.db === undefined) return last(options, await config(), io, now, width, 'auto', undefined, options.json ? undefined : progress('last'));
    if (options.inputs.length > 0) throw new UsageError('--db and --file/--input do not go together');
    const { urlFromSecretsFile } = await import('../../fleet/db.ts');
    const loaded = await config({ secrets: urlFromSecretsFile(options.db, io.env) });
    const { withFleet } = await import('../../fleet/fleet-source.ts');
    const { fleetRecords, newestRecord } = await import('../../fleet/fleet-records.ts');
    return withFleet(options.db, loaded, io, async (db, name) => {
      // A history asked for from an instant on, or for its newest lines, reads the store from
      // there on: --since's instant, or further and further back (an hour, then four times as
      // far each time) until the newest lines are whole. Anything else reads it all.
      if (options.present !== null || (options.since === null && options.limit === null)) return last(options, loaded, io, now, width, 'whole', await fleetRecords(db, options.host, name));
      if (options.since !== null) return last(options, loaded, io, now, width, 'whole', await fleetRecords(db, options.host, name, 'all', options.since));
      const newest = (await newestRecord(db, options.host)) ?? now;
      const limit = options.limit as number;
      for (let span = 3600e6; ; span *= 4) {
        const source = await fleetRecords(db, options.host, name, 'all', newest - span);
        const h = history({ ...historyRequest(options), source }, loaded, now, 'whole');
        let lines = 0;
        for (const _ of h.lines()) if (++lines >= limit) break;
        if (lines >= limit || source.beginning === null || newest - span <= source.beginning) return writeLast(h, options, io, now, width);
      }
    });
  },
});
