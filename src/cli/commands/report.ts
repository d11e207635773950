// `logsphere report`: the security report over a period (default: the last 7 days) as text,
// markdown, JSON or one self-contained HTML file; written to a file (atomically) and mailed
// when asked to.

import type { RecordSource } from '../../queries/record-source.ts';
import { localZone } from '../../time/zoned-time.ts';
import { parseCommandArgs } from '../args.ts';
import type { Config } from '../../config/config.ts';
import { securityReport } from '../../queries/security-report.ts';
import type { Micros } from '../../record/time.ts';
import { mailReport } from '../../report/mail-report.ts';
import { renderHtml, renderMarkdown, renderText } from '../../report/render.ts';
import type { Report } from '../../report/report.ts';
import { replaceFileSync } from '../../store/atomic-file.ts';
import { parseTimeArgument } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';
import { plain, type Paint } from '../../text/colour.ts';
import { escapeJson } from '../../text/terminal.ts';
import { timeRange } from '../query-options.ts';

export const reportUsage = `Usage: logsphere report [OPTIONS]

A security report over a period: sessions per user and host, total and longest session time,
peak concurrent sessions, crashes and gone sessions, failed logins by remote host and user
(top 10), the alerts logsphere watch raised, logins and failures per day and concurrent sessions
over time (as SVG charts in HTML); over more than a month, weekly trends (logins, users,
failed logins, peak concurrency, the top hosts, users and remote hosts week by week); and with
--access-log the web-server errors (401, 403, 404, 5xx) per client and per path.

Options:
      --since T           start of the period (default: -7d)
      --until T           end of the period (default: now)
      --format F          text (default), markdown, json or html
      --input PATH        read PATH (file, directory, or - for stdin); repeatable
      --db URL            report on the fleet store (PostgreSQL): every host in it;
                          --db= takes LOGSPHERE_DATABASE_URL
      --host HOST         with --db: only HOST
      --alerts PATH       the alerts file (default: alerts.jsonl in the state directory)
      --access-log PATH   a Common/Combined Log Format file (nginx, Apache; .gz too); repeatable
      --output FILE       write the report to FILE (replaced atomically) instead of standard output
      --all               count user switches (su, sudo, ...) as sessions too
      --mail              also mail it (LOGSPHERE_SMTP_HOST, LOGSPHERE_MAIL_TO): the text report as
                          the body, an HTML report attached
  -h, --help              show this help

T is RFC 3339, YYYY-MM-DD[ HH:MM], today, yesterday, now, or relative: --since=-7d, -12h, -30m.
`;

export interface ReportOptions {
  since: Micros;
  until: Micros;
  format: 'text' | 'markdown' | 'json' | 'html';
  inputs: string[];
  alerts: string | null;
  accessLogs: string[];
  output: string | null;
  mail: boolean;
  /** Count user switches (su, sudo, ...) as sessions too, not only logins. */
  all: boolean;
  /** The fleet store to report on (--db URL), instead of files; with --host, one host of it. */
  db?: string | null;
  host?: string | null;
}

export function parseReportArgs(args: string[], now: Micros): ReportOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      since: { type: 'string', default: '-7d' },
      until: { type: 'string', default: 'now' },
      format: { type: 'string', default: 'text' },
      input: { type: 'string', multiple: true },
      alerts: { type: 'string' },
      'access-log': { type: 'string', multiple: true },
      output: { type: 'string' },
      mail: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      db: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.db !== undefined && values.input !== undefined) throw new UsageError('--db and --input do not go together');
  if (values.host !== undefined && values.db === undefined) throw new UsageError('--host goes with --db');
  const format = values.format;
  if (format !== 'text' && format !== 'markdown' && format !== 'json' && format !== 'html') {
    throw new UsageError(`--format: expected text, markdown, json or html, got ${JSON.stringify(format)}`);
  }
  const since = parseTimeArgument(values.since, now, '--since');
  const until = parseTimeArgument(values.until, now, '--until');
  timeRange(since, until);
  return { since, until, format, inputs: values.input ?? [], alerts: values.alerts ?? null, accessLogs: values['access-log'] ?? [], output: values.output ?? null, mail: values.mail, all: values.all, db: values.db ?? null, host: values.host ?? null };
}

/** The report in a format; text printed on a terminal fits its `width`. */
export function render(report: Report, format: ReportOptions['format'], width = Infinity, paint: Paint = plain): string {
  switch (format) {
    case 'text':
      return renderText(report, width, paint);
    case 'markdown':
      return renderMarkdown(report);
    case 'json':
      return `${escapeJson(JSON.stringify(report, null, 2))}\n`;
    case 'html':
      return renderHtml(report);
  }
}

/** `width`: the terminal's, when the report is printed on one; a file, a pipe or a mail is not cut. */
export async function report(options: ReportOptions, config: Config, io: CommandIO, now: Micros, width = Infinity, paint: Paint = plain, source?: RecordSource): Promise<number> {
  // Days are counted in this host's zone (TZ), as the reader of the report lives them.
  const zone = localZone();
  const { report: built, warnings, incomplete } = securityReport({ ...options, zone, ...(source ? { source } : {}) }, config, now);
  // The file and the mail get the whole report; standard output the report fitted and painted.
  // Each is made only where it goes.
  let whole: string | null = null;
  const text = () => (whole ??= render(built, options.format));
  if (options.output === null) io.stdout(options.format === 'text' ? render(built, 'text', width, paint) : text());
  else replaceFileSync(options.output, text(), 0o640);
  // The warnings (in the report too) after it; a report from an input read only up to its damage
  // is still written and mailed, and exits 1.
  for (const w of warnings) io.stderr(`logsphere: ${w}\n`);
  const status = incomplete ? 1 : 0;
  if (!options.mail) return status;
  if (config.mail === null) {
    io.stderr('logsphere: --mail: no mail configured (LOGSPHERE_SMTP_HOST, LOGSPHERE_MAIL_FROM, LOGSPHERE_MAIL_TO); report not mailed\n');
    return status;
  }
  const sent = await mailReport(config.mail, built, { format: options.format, text: text() });
  io.stderr(`logsphere: report mailed to ${sent.accepted.join(', ')}\n`);
  if (sent.rejected.length === 0) return status;
  io.stderr(`logsphere: Cannot mail the report to ${sent.rejected.join(', ')}: refused by ${config.mail.host}:${config.mail.port}\n`);
  return 1;
}

export const reportCommand = defineCommand({
  name: 'report',
  usage: reportUsage,
  parse: parseReportArgs,
  run: async (options, { config, io, now, width, stdoutIsTerminal, paint }) => {
    if (options.db === null || options.db === undefined) return report(options, await config({ secrets: options.mail }), io, now, stdoutIsTerminal ? width : Infinity, paint);
    const { urlFromSecretsFile } = await import('../../fleet/db.ts');
    const loaded = await config({ secrets: urlFromSecretsFile(options.db, io.env) });
    const { withFleetSource } = await import('../../fleet/fleet-source.ts');
    // Only what the period needs: the sessions over before it are left in the store.
    return withFleetSource(options.db, loaded, io, options.host ?? null, (source) => report(options, loaded, io, now, stdoutIsTerminal ? width : Infinity, paint, source), 'period', options.since);
  },
});
