// `logsphere report`: the security report over a period (default: the last 7 days) as text,
// markdown, JSON or one self-contained HTML file; written to a file (atomically) and mailed
// when asked to.

import { existsSync } from 'node:fs';
import { replaceFileSync } from '../../store/atomic-file.ts';
import { parseArgs } from 'node:util';
import { alertSchema, type Alert } from '../../alerts/engine.ts';
import type { Config } from '../../config/config.ts';
import { FailureCollector } from '../../failures/failures.ts';
import { readInputText } from '../../input/inputs.ts';
import { sendMail, type MailPart } from '../../mail/send-mail.ts';
import { parseTimestamp, type Micros } from '../../record/time.ts';
import { AccessLogSummarizer } from '../../report/access-log.ts';
import { renderHtml, renderMarkdown, renderText } from '../../report/render.ts';
import { buildReport, type Report } from '../../report/report.ts';
import { parseTimeArgument } from '../format/time.ts';
import type { CommandIO } from '../io.ts';
import { loadReconciled, localHost, localLiveness } from '../session-source.ts';
import { UsageError } from '../usage.ts';

export const reportUsage = `Usage: logsphere report [OPTIONS]

A security report over a period: sessions per user and host, total and longest session time,
peak concurrent sessions, crashes and gone sessions, failed logins by remote host and user
(top 10), the alerts logsphere watch raised, logins and failures per day and concurrent sessions
over time (as SVG charts in HTML), and with --access-log the web-server errors (401, 403, 404,
5xx) per client and per path.

Options:
      --since T           start of the period (default: -7d)
      --until T           end of the period (default: now)
      --format F          text (default), markdown, json or html
      --input PATH        read PATH (file, directory, or - for stdin); repeatable
      --alerts PATH       the alerts file (default: alerts.jsonl in the state directory)
      --access-log PATH   a Common/Combined Log Format file (nginx, Apache; .gz too); repeatable
      --output FILE       write the report to FILE (replaced atomically) instead of standard output
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
}

export function parseReportArgs(args: string[], now: Micros): ReportOptions | 'help' {
  const { values } = parseArgs({
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
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const format = values.format;
  if (format !== 'text' && format !== 'markdown' && format !== 'json' && format !== 'html') {
    throw new UsageError(`--format: expected text, markdown, json or html, got ${JSON.stringify(format)}`);
  }
  const since = parseTimeArgument(values.since, now, '--since');
  const until = parseTimeArgument(values.until, now, '--until');
  if (until < since) throw new UsageError('--until is before --since');
  return { since, until, format, inputs: values.input ?? [], alerts: values.alerts ?? null, accessLogs: values['access-log'] ?? [], output: values.output ?? null, mail: values.mail };
}

/** Alerts of the period from alerts.jsonl; lines that are not alerts are counted. */
function readAlerts(path: string, since: Micros, until: Micros): { alerts: Alert[]; malformed: number } {
  const alerts: Alert[] = [];
  let malformed = 0;
  for (const line of readInputText({ path }).split('\n')) {
    if (line.trim() === '') continue;
    let a: Alert;
    try {
      a = JSON.parse(line) as Alert;
    } catch {
      malformed++;
      continue;
    }
    const at = typeof a?.ts === 'string' ? parseTimestamp(a.ts) : null;
    if (a?.schema !== alertSchema || at === null || typeof a.rule !== 'string' || typeof a.message !== 'string') {
      malformed++;
      continue;
    }
    if (at >= since && at <= until) alerts.push(a);
  }
  return { alerts, malformed };
}

export function render(report: Report, format: ReportOptions['format']): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderHtml(report);
  }
}

export function buildReportFrom(options: ReportOptions, config: Config, now: Micros): { report: Report; warnings: string[] } {
  const collector = new FailureCollector({ since: options.since, until: options.until, user: null, host: null });
  const loaded = loadReconciled(options.inputs, config, localLiveness(localHost(config)), (r) => collector.add(r));
  const warnings = [...loaded.warnings];
  const alertsPath = options.alerts ?? `${config.stateDir}/alerts.jsonl`;
  let alerts: Alert[] = [];
  if (options.alerts !== null || existsSync(alertsPath)) {
    const read = readAlerts(alertsPath, options.since, options.until);
    alerts = read.alerts;
    if (read.malformed > 0) warnings.push(`skipped ${read.malformed} line${read.malformed === 1 ? '' : 's'} of ${alertsPath} that are not alerts`);
  }
  let access = null;
  if (options.accessLogs.length > 0) {
    const summarizer = new AccessLogSummarizer(options.since, options.until);
    for (const path of options.accessLogs) {
      const bad = summarizer.addFile(path, readInputText({ path }));
      if (bad > 0) warnings.push(`skipped ${bad} line${bad === 1 ? '' : 's'} of ${path} not in the Common/Combined Log Format`);
    }
    access = summarizer.result();
  }
  const sessions = (function* () {
    for (const i of loaded.order) yield loaded.session(i);
  })();
  const report = buildReport({ sessions, failures: collector.sorted(), alerts, access, since: options.since, until: options.until, now, warnings });
  return { report, warnings };
}

export async function report(options: ReportOptions, config: Config, io: CommandIO, now: Micros): Promise<number> {
  const { report: built, warnings } = buildReportFrom(options, config, now);
  for (const w of warnings) io.stderr(`logsphere: ${w}\n`);
  const text = render(built, options.format);
  if (options.output === null) io.stdout(text);
  else replaceFileSync(options.output, text, 0o640);
  if (!options.mail) return 0;
  if (config.mail === null) {
    io.stderr('logsphere: --mail: no mail configured (LOGSPHERE_SMTP_HOST, LOGSPHERE_MAIL_FROM, LOGSPHERE_MAIL_TO); report not mailed\n');
    return 0;
  }
  const period = `${built.since.slice(0, 10)} – ${built.until.slice(0, 10)}`;
  const parts: MailPart[] = [{ contentType: 'text/plain', body: options.format === 'text' ? text : renderText(built) }];
  parts.push({ contentType: 'text/html', filename: `logsphere-report-${built.until.slice(0, 10)}.html`, body: options.format === 'html' ? text : renderHtml(built) });
  const sent = await sendMail(config.mail, { subject: `LogSphere security report ${period}: ${built.totals.failures} failed logins, ${built.totals.alerts} alerts`, parts });
  io.stderr(`logsphere: report mailed to ${sent.accepted.join(', ')}\n`);
  if (sent.rejected.length === 0) return 0;
  io.stderr(`logsphere: Cannot mail the report to ${sent.rejected.join(', ')}: refused by ${config.mail.host}:${config.mail.port}\n`);
  return 1;
}
