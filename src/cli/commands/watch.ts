// `logsphere watch`: follows the session log as it grows (and across rotation), evaluates the
// alert rules on each record, and puts every alert out as one JSON line on standard output,
// appended to alerts.jsonl in the state directory (the report counts them), and to the webhook
// and mail when configured. Position, rule state and undelivered alerts live in a checkpoint in
// the state directory, so a restart neither repeats nor misses an alert.

import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AlertEngine, type Alert } from '../../alerts/engine.ts';
import { mailAlert, postWebhook } from '../../alerts/deliver.ts';
import { defaultRules, parseRules, type Rule } from '../../alerts/rules.ts';
import { loadWatchCheckpoint, saveWatchCheckpoint, watchCheckpointName, type PendingAlert, type WatchCheckpoint } from '../../alerts/watch-checkpoint.ts';
import type { Config } from '../../config/config.ts';
import { forEachLine } from '../../input/parse-lines.ts';
import { LogTail } from '../../input/tail.ts';
import type { SessionRecord } from '../../record/types.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { followTail, logPathOf } from '../log-path.ts';
import { defineCommand } from '../command.ts';

export const watchUsage = `Usage: logsphere watch [OPTIONS]

Follows the session log as it grows (across rotation), evaluates the alert rules on each new
record and prints each alert as one JSON line; alerts are also appended to alerts.jsonl in the
state directory and sent to the webhook (LOGSPHERE_WEBHOOK_URL) and by mail (LOGSPHERE_SMTP_HOST,
LOGSPHERE_MAIL_TO) when configured. A checkpoint in the state directory lets a restart carry on
without repeating or missing an alert. On its first run it reads the log as it is to learn
(remote hosts seen, recent failures) without alerting on the past, unless --from-start.

Options:
      --rules FILE      the rules file (default: LOGSPHERE_RULES, /etc/logsphere/rules.json;
                        built-in rules when that does not exist)
      --input PATH      the log file, or the directory holding sessions.jsonl (default: the
                        configured log)
      --from-start      with no checkpoint, alert on the records already in the log too
      --once            stop when the end of the log is reached instead of following it
      --check           check the rules file, print the rules and exit (1 when any is bad)
  -h, --help            show this help

Rule types: failures_by_rhost, failures_by_user (threshold, window), brute_force_success (a
login from a remote host with threshold failures within window before it), root_login
(ignore_rhosts), outside_hours (hours "07:00-19:00", days, timezone, users), new_rhost.
`;

export interface WatchOptions {
  rules: string | null;
  input: string | null;
  fromStart: boolean;
  once: boolean;
  check: boolean;
}

export function parseWatchArgs(args: string[]): WatchOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      rules: { type: 'string' },
      input: { type: 'string' },
      'from-start': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.input === '-') throw new UsageError('--input: watch follows a file; standard input cannot be followed');
  return { rules: values.rules ?? null, input: values.input ?? null, fromStart: values['from-start'], once: values.once, check: values.check };
}

const hostZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The rules in force and the problems found; throws when there is nothing to run. */
export function loadRules(options: WatchOptions, config: Config, io: CommandIO): { rules: Rule[]; errors: string[]; invalid: number; source: string } {
  const path = options.rules ?? config.rulesPath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' && options.rules === null) return { rules: defaultRules(hostZone()), errors: [], invalid: 0, source: 'built-in rules' };
    throw new Error(`Cannot read the rules file ${path}: ${code ?? String(error)}`);
  }
  const parsed = parseRules(text, hostZone());
  for (const e of parsed.errors) io.stderr(`logsphere: ${path}: ${e}\n`);
  if (parsed.invalid > 0) io.stderr(`logsphere: ${path}: ${parsed.invalid} invalid rule${parsed.invalid === 1 ? '' : 's'} left out\n`);
  return { ...parsed, source: path };
}

export async function watch(options: WatchOptions, config: Config, io: CommandIO, signal: AbortSignal): Promise<number> {
  const { rules, errors, source } = loadRules(options, config, io);
  if (options.check) {
    for (const r of rules) io.stdout(`${JSON.stringify(r)}\n`);
    io.stderr(`logsphere: ${rules.length} rule${rules.length === 1 ? '' : 's'} from ${source}${errors.length > 0 ? `, ${errors.length} invalid` : ''}\n`);
    return errors.length > 0 ? 1 : 0;
  }
  if (rules.length === 0) throw new Error(`No rule to run: ${source} has no valid rule`);

  const log = logPathOf(options.input, config);
  const checkpointPath = `${config.stateDir}/${watchCheckpointName}`;
  const alertsPath = `${config.stateDir}/alerts.jsonl`;
  const stored = loadWatchCheckpoint(checkpointPath, log);
  const engine = new AlertEngine(rules, stored?.engine ?? null);
  const tail = new LogTail(log, stored?.position ?? 'start', (message) => io.stderr(`logsphere: ${message}\n`));
  let pending: PendingAlert[] = stored?.pending ?? [];
  let lastEventId = stored?.lastEventId ?? null;
  let raised = stored?.alertsRaised ?? 0;
  let malformed = 0;
  const warn = (message: string) => io.stderr(`logsphere: ${message}\n`);

  const save = () => {
    const checkpoint: WatchCheckpoint = { version: 1, log, position: tail.position(), lastEventId, engine: engine.state(), pending, alertsRaised: raised };
    saveWatchCheckpoint(checkpointPath, checkpoint);
  };

  /** The alerts of `lines`; malformed lines (and `overlong` ones, skipped) counted. */
  const evaluate = (lines: string[], overlong = 0): Alert[] => {
    const alerts: Alert[] = [];
    const bad = overlong + forEachLine(lines.join('\n'), (record: SessionRecord) => {
      lastEventId = record.event_id;
      for (const a of engine.add(record)) alerts.push(a);
    });
    if (bad > 0) {
      malformed += bad;
      warn(`skipped ${bad} malformed line${bad === 1 ? '' : 's'} in ${log} (${malformed} in all)`);
    }
    return alerts;
  };

  const deliver = async () => {
    while (pending.length > 0) {
      const p = pending[0] as PendingAlert;
      if (p.to.includes('stdout')) {
        io.stdout(`${JSON.stringify(p.alert)}\n`);
        appendAlert(alertsPath, p.alert);
        p.to = p.to.filter((t) => t !== 'stdout');
        save();
      }
      if (p.to.includes('webhook') && config.webhook !== null) await postWebhook(config.webhook, p.alert, warn);
      if (p.to.includes('mail') && config.mail !== null) await mailAlert(config.mail, p.alert, warn);
      pending = pending.slice(1);
      save();
    }
  };

  // First run: learn from the log as it is, alerting only with --from-start.
  if (stored === null) {
    if (!options.fromStart) {
      // Up to the last whole line; a partial one is read when it is finished.
      for (let read = tail.read(); read.lines.length > 0 || read.overlong !== undefined; read = tail.read()) evaluate(read.lines, read.overlong);
      if (tail.position() !== null) warn(`first run: read ${log} to learn from its past; alerting on what is appended from now on`);
    }
    save();
  } else if (pending.length > 0) {
    warn(`delivering ${pending.length} alert${pending.length === 1 ? '' : 's'} left from the last run`);
    await deliver();
  }

  const channels = (): PendingAlert['to'] => ['stdout', ...(config.webhook ? ['webhook' as const] : []), ...(config.mail ? ['mail' as const] : [])];
  await followTail(tail, options, signal, async (read) => {
    if (read.rotations > 0) warn(`${log} was rotated; following the new file`);
    if (read.truncations > 0) warn(`${log} was truncated; reading it again from the start`);
    if (read.lines.length === 0 && read.overlong === undefined) {
      save();
      return;
    }
    const alerts = evaluate(read.lines, read.overlong);
    raised += alerts.length;
    pending = pending.concat(alerts.map((alert) => ({ alert, to: channels() })));
    save(); // the outbox first: a stop from here on delivers these on the next start
    await deliver();
  });
  // Saved while the tail is open: its position is where the next start goes on.
  save();
  tail.close();
  return 0;
}

/** alerts.jsonl in the state directory: the history the report reads. */
function appendAlert(path: string, alert: Alert): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
  try {
    writeSync(fd, `${JSON.stringify(alert)}\n`);
  } finally {
    closeSync(fd);
  }
}

export const watchCommand = defineCommand({
  name: 'watch',
  usage: watchUsage,
  longRunning: true,
  parse: (args) => parseWatchArgs(args),
  run: async (options, { config, io, signal }) => watch(options, await config({ secrets: true }), io, signal),
});
