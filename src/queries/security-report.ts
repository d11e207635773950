// The security report over a period: the sessions and failed logins of the inputs (default: the
// log directory), the alerts `logsphere watch` raised, and web-server errors from access logs. An
// input or access log damaged part way counts with what came before the damage; the report's
// warnings name it and `incomplete` says so.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { alertLogPath, readAlerts } from '../alerts/alert-log.ts';
import type { Alert } from '../alerts/engine.ts';
import type { Config } from '../config/config.ts';
import { FailureCollector } from '../failures/failures.ts';
import { damageWarning, logFilesOf, readInputTextUpToDamage, type InputFile } from '../input/inputs.ts';
import { orderWindow, readNewestFirst } from '../input/newest-first.ts';
import { neededFrom, type RecordColumns } from '../input/record-columns.ts';
import { SegmentIndex } from '../input/segment-index.ts';
import type { Micros } from '../record/time.ts';
import { AccessLogSummarizer } from '../report/access-log.ts';
import { buildReport, type Report } from '../report/report.ts';
import { allDirectories, type HistoryRead } from './history.ts';
import { sourceLiveness, type RecordSource } from './record-source.ts';
import { loadRecent } from './load-recent.ts';
import { loadReconciled, localHost, localLiveness, type Loaded } from './load-sessions.ts';

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
  /** Records from elsewhere than files (the fleet store), instead of `inputs`. */
  source?: RecordSource;
}

export interface SecurityReport {
  report: Report;
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the report lacks the rest. */
  incomplete: boolean;
}

/**
 * The sessions and failures of the period. Logs that can be read newest first are read back to
 * the start of the period only; each segment before it stands in with its summary (the sessions
 * still open across its end, and the boots and shutdowns that end them: segment-index.ts).
 */
function loadPeriod(request: ReportRequest, config: Config, how: HistoryRead): { loaded: Loaded; collector: FailureCollector } {
  const alive = localLiveness(localHost(config));
  const paths = request.inputs.length > 0 ? request.inputs : [config.logDir];
  const newCollector = () => new FailureCollector({ since: request.since, until: request.until, user: null, host: null });
  if (request.source !== undefined) {
    const collector = newCollector();
    return { loaded: loadReconciled([request.source.name], config, sourceLiveness(request.source, alive), (r) => collector.add(r), request.source.read, request.source.since === undefined), collector };
  }
  if (how === 'auto' && allDirectories(paths)) {
    const collector = newCollector();
    const index = new SegmentIndex(config.stateDir);
    const recent = loadRecent(paths, config, alive, (r) => collector.add(r), (onRecord, onColumns) => {
      // The segments of the period, and the live file, from their columns in the segment index
      // where it has them; of the oldest, which straddles the period's start, only what the period needs.
      const columns = {
        of: (file: InputFile) => (file.segment?.scheme === 'live' ? index.liveColumns(file) : index.columns(file)),
        add: (c: RecordColumns) => onColumns(neededFrom(c, request.since)),
      };
      const read = readNewestFirst(paths, onRecord, { enough: (cut) => cut < request.since, wholeFiles: true, columns });
      if (read.disorder) return read;
      // What the segments before the period leave to it, per log (segment-index.ts), and their
      // spans: newest first, each segment's records no later than the earliest after it (by the
      // window); one that is (a duplicate written far from its original, a clock set back) means disorder.
      const logs = new Map<string, { files: InputFile[]; after: Micros }>();
      for (const { file, after } of read.unread) {
        const log = dirname(file.path);
        const entry = logs.get(log) ?? { files: [], after };
        entry.files.push(file);
        entry.after = Math.min(entry.after, after);
        logs.set(log, entry);
      }
      const carried: RecordColumns[] = [];
      for (const { files, after } of logs.values()) {
        const through = index.carriedThrough(files);
        // A segment that is no longer a file: the whole read says what it is.
        if (through === null) return { ...read, disorder: true };
        let before = after;
        for (let k = through.spans.length - 1; k >= 0; k--) {
          const { first, last } = through.spans[k] as (typeof through.spans)[number];
          if (last !== null && last > before + orderWindow) return { ...read, disorder: true };
          // A segment holding records of the period (later than its rotation name said: written
          // while it was being rotated) is not one to stand in for with what it leaves.
          if (last !== null && last >= request.since) return { ...read, disorder: true };
          before = Math.min(before, first ?? Infinity);
        }
        carried.push(through.carried);
        read.damaged.push(...through.damaged);
      }
      for (const c of carried) onColumns(c);
      return read;
    }, (c) => collector.addColumns(c));
    if (recent !== null) {
      // The index is kept to the log as it is now, as `logsphere rotate` keeps it, where nothing
      // else does (logrotate in its place): the log directory's own, not files given with --input.
      const files = request.inputs.length === 0 ? logFilesOf(config.logDir) : null;
      if (files !== null) index.prune(files);
      return { loaded: recent.loaded, collector };
    }
  }
  const collector = newCollector();
  return { loaded: loadReconciled(request.inputs, config, alive, (r) => collector.add(r)), collector };
}

export function securityReport(request: ReportRequest, config: Config, now: Micros, how: HistoryRead = 'auto'): SecurityReport {
  const { loaded, collector } = loadPeriod(request, config, how);
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
  // What the report counts of each session, from the reconciled columns: no session object.
  const sessions = loaded.period(request.since, request.until, !request.all);
  const report = buildReport({ sessions, failures: collector.sorted(), alerts, access, since: request.since, until: request.until, now, zone: request.zone, warnings });
  return { report, warnings, incomplete };
}
