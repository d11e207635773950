// `logsphere failed`: failed logins, newest first, in the manner of lastb; `--by rhost|user`
// summarizes them with counts, first and last seen.

import type { RecordSource } from '../../queries/record-source.ts';
import { parseCommandArgs } from '../args.ts';
import type { Config } from '../../config/config.ts';
import { summarize, type Failure, type SummaryKey } from '../../failures/failures.ts';
import { failedLogins, type FailedLogins } from '../../queries/failed-logins.ts';
import type { HistoryRead } from '../../queries/history.ts';
import { toEcs } from '../../export/ecs.ts';
import { toOtel } from '../../export/otel.ts';
import type { AuthFailureRecord } from '../../record/types.ts';
import type { Micros } from '../../record/time.ts';
import { parseTimestamp } from '../../record/time.ts';
import { cell, pad } from '../../text/terminal.ts';
import { renderTable, type Column } from '../../text/table.ts';
import { isoTime, parseTimeArgument, shortTime } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { parseLimit, parseTimeFormat, queryOptions, timeRange } from '../query-options.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';
import { jsonArray } from '../format/json.ts';

export const failedUsage = `Usage: logsphere failed [OPTIONS]

Failed logins, newest first: user, tty, from, time, service, and where the record came from
(pam: the hook's auth-failure branch; btmp, authlog: imports).

Options:
      --json              print the failures (or the summary) as a JSON array
      --format ecs|otel   with --json: the failure records as ECS documents or OpenTelemetry
                          log records (docs/collectors.md)
      --by rhost|user     one line per remote host or user: count, first and last seen
  -n, --limit N           at most N lines
      --since T           failures at or after T
      --until T           failures at or before T
      --user USER         only failures for USER
      --host HOST         only failures on HOST
      --time-format F     short (default) or iso
      --input PATH        read PATH (file, directory, or - for stdin); repeatable
      --db URL            answer from the fleet store (PostgreSQL) for every host in it
                          (--host to narrow); --db= takes LOGSPHERE_DATABASE_URL
  -w, --wide              do not cut long fields
  -h, --help              show this help

T is RFC 3339, YYYY-MM-DD[ HH:MM], today, yesterday, now, or relative: --since=-7d, -12h, -30m.
`;

export interface FailedOptions {
  json: boolean;
  /** With --json: the records mapped to ECS or OpenTelemetry instead of failure objects. */
  format: 'ecs' | 'otel' | null;
  by: SummaryKey | null;
  limit: number | null;
  since: Micros | null;
  until: Micros | null;
  user: string | null;
  host: string | null;
  timeFormat: 'short' | 'iso';
  inputs: string[];
  wide: boolean;
  /** The fleet store to answer from (--db URL), instead of files. */
  db?: string | null;
}

export function parseFailedArgs(args: string[], now: Micros): FailedOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...queryOptions,
      by: { type: 'string' },
      format: { type: 'string' },
      limit: { type: 'string', short: 'n' },
      since: { type: 'string' },
      until: { type: 'string' },
      'time-format': { type: 'string', default: 'short' },
      db: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (values.db !== undefined && values.input !== undefined) throw new UsageError('--db and --input do not go together');
  const limit = parseLimit(values.limit);
  const by = values.by ?? null;
  if (by !== null && by !== 'rhost' && by !== 'user') throw new UsageError(`--by: expected rhost or user, got ${JSON.stringify(by)}`);
  const format = parseTimeFormat(values['time-format']);
  const recordFormat = values.format ?? null;
  if (recordFormat !== null && recordFormat !== 'ecs' && recordFormat !== 'otel') throw new UsageError(`--format: expected ecs or otel, got ${JSON.stringify(recordFormat)}`);
  if (recordFormat !== null && (!values.json || by !== null)) throw new UsageError('--format goes with --json, without --by');
  return {
    json: values.json,
    format: recordFormat,
    by,
    limit,
    ...timeRange(values.since === undefined ? null : parseTimeArgument(values.since, now, '--since'), values.until === undefined ? null : parseTimeArgument(values.until, now, '--until')),
    user: values.user ?? null,
    host: values.host ?? null,
    timeFormat: format,
    inputs: values.input ?? [],
    wide: values.wide,
    db: values.db ?? null,
  };
}

export function failureJson(f: Failure) {
  return { event_id: f.event_id, ts: f.ts, host: f.host, user: f.user, uid: f.uid, tty: f.tty, rhost: f.rhost, service: f.service, source: f.source };
}


function failedRequest(options: FailedOptions) {
  return { ...options, keepRecords: options.format !== null, limit: options.by === null ? options.limit : null };
}

/** The failed logins `failed` shows of the records of `source` (the fleet store). */
export function sourceFailures(options: FailedOptions, config: Config, source: RecordSource): FailedLogins {
  return failedLogins({ ...failedRequest(options), inputs: [source.name] }, config, undefined, source.read, 'whole');
}

/** `found`: the failed logins of `source`, when they are known already. */
export function failed(options: FailedOptions, config: Config, io: CommandIO, width = 80, how: HistoryRead = 'auto', source?: RecordSource, found?: FailedLogins): number {
  const { failures, warnings, notes, incomplete } = found ?? (source === undefined ? failedLogins(failedRequest(options), config, undefined, undefined, how) : sourceFailures(options, config, source));
  // The warnings after the answer; an answer from an input read only up to its damage exits 1.
  const done = (): number => {
    for (const w of [...warnings, ...notes]) io.stderr(`logsphere: ${w}\n`);
    return incomplete ? 1 : 0;
  };
  const limit = options.limit ?? Infinity;
  const time = (ts: string) => {
    const at = parseTimestamp(ts) ?? 0;
    return options.timeFormat === 'iso' ? isoTime(at) : shortTime(at);
  };
  const w = options.wide;

  if (options.by !== null) {
    const rows = summarize(failures, options.by).slice(0, limit);
    if (options.json) {
      const other = options.by === 'rhost' ? 'users' : 'rhosts';
      const by = options.by;
      io.stdout(jsonArray(rows.map((r) => ({ [by]: r.key, count: r.count, first_seen: r.first_seen, last_seen: r.last_seen, [other]: r.distinct }))));
      return done();
    }
    const head = options.by === 'rhost' ? 'FROM' : 'USER';
    const other = options.by === 'rhost' ? 'USERS' : 'FROM';
    let out = `${pad(head, 24)} ${'COUNT'.padStart(7)} ${pad('FIRST SEEN', 16)}   ${pad('LAST SEEN', 16)} ${other.padStart(6)}\n`;
    for (const r of rows) {
      out += `${pad(cell(r.key ?? '-', 24, w), 24)} ${String(r.count).padStart(7)} ${pad(time(r.first_seen), 16)} - ${pad(time(r.last_seen), 16)} ${String(r.distinct).padStart(6)}\n`;
    }
    io.stdout(out);
    return done();
  }

  const newest = failures.reverse().slice(0, limit);
  if (options.json) {
    const map = options.format === 'ecs' ? toEcs : options.format === 'otel' ? toOtel : null;
    io.stdout(map === null ? jsonArray(newest.map(failureJson)) : jsonArray(newest.map((f) => map(f.record as AuthFailureRecord))));
    return done();
  }
  const manyHosts = new Set(newest.map((f) => f.host)).size > 1;
  // lastb's columns: user, tty, from, time, then the service and where the record came from.
  const columns: Column[] = [
    ...(manyHosts ? [{ title: 'HOST', width: 16, min: 8 }] : []),
    { title: 'USER', width: 8, min: 6 },
    { title: 'TTY', width: 12, min: 6 },
    { title: 'FROM', width: 16, min: 10 },
    { title: 'TIME', width: options.timeFormat === 'iso' ? 26 : 17 },
    { title: 'SERVICE', width: 12, min: 6 },
    { title: 'SOURCE' },
  ];
  const layout = { width, wide: options.wide, headless: true };
  // In batches: an answer of a million lines is not one string.
  for (let i = 0; i < newest.length; i += 10000) {
    const rows = newest.slice(i, i + 10000).map((f) => [...(manyHosts ? [f.host] : []), f.user, f.tty ?? '-', f.rhost ?? '', time(f.ts), f.service, f.source]);
    io.stdout(renderTable(columns, rows, layout));
  }
  return done();
}

export const failedCommand = defineCommand({
  name: 'failed',
  usage: failedUsage,
  parse: parseFailedArgs,
  run: async (options, { config, io, now, width }) => {
    if (options.db === null || options.db === undefined) return failed(options, await config(), io, width);
    const { urlFromSecretsFile } = await import('../../fleet/db.ts');
    const loaded = await config({ secrets: urlFromSecretsFile(options.db, io.env) });
    const { withFleet } = await import('../../fleet/fleet-source.ts');
    const { fleetRecords, newestRecord } = await import('../../fleet/fleet-records.ts');
    return withFleet(options.db, loaded, io, async (db, name) => {
      // Failed logins only, from --since on. The newest N of them read the store back from its
      // newest record (or --until) only as far as they need: an hour, then four times as far each
      // time, as `last -n` does; a fleet keeps millions of them.
      const limit = options.by === null ? options.limit : null;
      if (limit === null) return failed(options, loaded, io, width, 'whole', await fleetRecords(db, options.host, name, 'failures', options.since));
      const top = Math.min((await newestRecord(db, options.host)) ?? now, options.until ?? Infinity);
      for (let span = 3600e6; ; span *= 4) {
        const from = Math.max(top - span, options.since ?? -Infinity);
        const source = await fleetRecords(db, options.host, name, 'failures', from);
        const found = sourceFailures(options, loaded, source);
        if (found.failures.length >= limit || from === options.since || source.beginning === null || from <= source.beginning) return failed(options, loaded, io, width, 'whole', source, found);
      }
    });
  },
});
