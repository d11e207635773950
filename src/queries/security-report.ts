// The security report over a period: the sessions and failed logins of the inputs (default: the
// log directory), the alerts `logsphere watch` raised, and web-server errors from access logs. An
// input or access log damaged part way counts with what came before the damage; the report's
// warnings name it and `incomplete` says so.

import { existsSync } from 'node:fs';
import { alertLogPath, readAlerts } from '../alerts/alert-log.ts';
import type { Alert } from '../alerts/engine.ts';
import type { Config } from '../config/config.ts';
import { FailureCollector } from '../failures/failures.ts';
import { damageWarning, readInputTextUpToDamage } from '../input/inputs.ts';
import type { Micros } from '../record/time.ts';
import { AccessLogSummarizer } from '../report/access-log.ts';
import { buildReport, type Report } from '../report/report.ts';
import { loadReconciled, localHost, localLiveness } from './load-sessions.ts';

export interface ReportRequest {
  since: Micros;
  until: Micros;
  /** Files or directories to read; empty: the log directory. */
  inputs: readonly string[];
  /** The alerts file; null: alerts.jsonl in the state directory, when it exists. */
  alerts: string | null;
  accessLogs: readonly string[];
  /** The time zone of the per-day counts (IANA name). */
  zone: string;
  /** Also user switches (su, sudo, ...) among the sessions counted, not only logins. */
  all: boolean;
}

export interface SecurityReport {
  report: Report;
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the report lacks the rest. */
  incomplete: boolean;
}

export function securityReport(request: ReportRequest, config: Config, now: Micros): SecurityReport {
  const collector = new FailureCollector({ since: request.since, until: request.until, user: null, host: null });
  const loaded = loadReconciled(request.inputs, config, localLiveness(localHost(config)), (r) => collector.add(r));
  const warnings = [...loaded.warnings];
  let incomplete = loaded.incomplete;
  const alertsPath = request.alerts ?? alertLogPath(config.stateDir);
  let alerts: Alert[] = [];
  if (request.alerts !== null || existsSync(alertsPath)) {
    const read = readAlerts(alertsPath, request.since, request.until);
    alerts = read.alerts;
    if (read.malformed > 0) warnings.push(`skipped ${read.malformed} line${read.malformed === 1 ? '' : 's'} of ${alertsPath} that are not alerts`);
  }
  let access = null;
  if (request.accessLogs.length > 0) {
    const summarizer = new AccessLogSummarizer(request.since, request.until);
    for (const path of request.accessLogs) {
      const { text, damage } = readInputTextUpToDamage({ path });
      const bad = summarizer.addFile(path, text);
      if (bad > 0) warnings.push(`skipped ${bad} line${bad === 1 ? '' : 's'} of ${path} not in the Common/Combined Log Format`);
      if (damage !== null) {
        warnings.push(damageWarning(damage));
        incomplete = true;
      }
    }
    access = summarizer.result();
  }
  const sessions = (function* () {
    for (const i of loaded.order) if (request.all || loaded.kindOf(i) === 'login') yield loaded.session(i);
  })();
  const report = buildReport({ sessions, failures: collector.sorted(), alerts, access, since: request.since, until: request.until, now, zone: request.zone, warnings });
  return { report, warnings, incomplete };
}
