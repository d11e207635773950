// Mails a report: the text report as the body, the HTML report attached.

import type { MailConfig } from '../config/config.ts';
import { sendMail, type MailPart } from '../mail/send-mail.ts';
import { renderHtml, renderText } from './render.ts';
import type { Report } from './report.ts';

/**
 * Sends `report`; `rendered` is the report as already rendered in `format`, reused for the part
 * of that format. Resolves with the recipients the server took and those it refused.
 */
export function mailReport(mail: MailConfig, report: Report, rendered: { format: string; text: string }): Promise<{ accepted: string[]; rejected: string[] }> {
  const period = `${report.since.slice(0, 10)} – ${report.until.slice(0, 10)}`;
  const parts: MailPart[] = [
    { contentType: 'text/plain', body: rendered.format === 'text' ? rendered.text : renderText(report) },
    { contentType: 'text/html', filename: `logsphere-report-${report.until.slice(0, 10)}.html`, body: rendered.format === 'html' ? rendered.text : renderHtml(report) },
  ];
  return sendMail(mail, { subject: `LogSphere security report ${period}: ${report.totals.failures} failed logins, ${report.totals.alerts} alerts`, parts });
}
