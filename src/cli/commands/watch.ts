// `logsphere watch`: alerts on the log as it grows (src/alerts/watch-log.ts), each alert printed
// as one JSON line; --check prints the rules instead.

import { parseCommandArgs } from '../args.ts';
import { localZone } from '../../time/zoned-time.ts';
import type { Alert } from '../../alerts/engine.ts';
import { loadRulesFile } from '../../alerts/rules-file.ts';
import { ruleAsWritten } from '../../alerts/rules.ts';
import { watchLog } from '../../alerts/watch-log.ts';
import type { Config } from '../../config/config.ts';
import { defineCommand } from '../command.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { jsonText } from '../../record/json-text.ts';

export const watchUsage = `Usage: logsphere watch [OPTIONS]

Follows the session log as it grows (across rotation), evaluates the alert rules on each new
record and prints each alert as one JSON line; alerts are also appended to alerts.jsonl in the
state directory and sent to the webhook (LOGSPHERE_WEBHOOK_URL) and by mail (LOGSPHERE_SMTP_HOST,
LOGSPHERE_MAIL_TO) when configured.

A plain logsphere watch, as the service runs it, keeps a checkpoint in the state directory
(watch.checkpoint.json): a restart carries on without repeating or missing an alert. A run with
--input or --once keeps none unless given --checkpoint NAME, and never touches the service's.
With no checkpoint to go on from, it first reads the whole log (rotated segments too) to learn
(remote hosts seen, recent failures) and alerts on what is appended after, unless --from-start;
a run with --once and no checkpoint alerts on the whole log.

Options:
      --rules FILE      the rules file (default: LOGSPHERE_RULES, /etc/logsphere/rules.json;
                        built-in rules when that does not exist)
      --input PATH      the log file, or the directory holding sessions.jsonl (default: the
                        configured log)
      --checkpoint NAME keep the position, the rules' state and undelivered alerts in
                        watch-NAME.json in the state directory, and go on from there
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
  checkpoint: string | null;
  fromStart: boolean;
  once: boolean;
  check: boolean;
}

export function parseWatchArgs(args: string[]): WatchOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      rules: { type: 'string' },
      input: { type: 'string' },
      checkpoint: { type: 'string' },
      'from-start': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.input === '-') throw new UsageError('--input: watch follows a file; standard input cannot be followed');
  return { rules: values.rules ?? null, input: values.input ?? null, checkpoint: values.checkpoint ?? null, fromStart: values['from-start'], once: values.once, check: values.check };
}

export async function watch(options: WatchOptions, config: Config, io: CommandIO, signal: AbortSignal): Promise<number> {
  // Rules' local times are in this host's zone unless a rule names one.
  const zone = localZone();
  const { rules, errors, invalid, source } = loadRulesFile(options.rules ?? config.rulesPath, options.rules !== null, zone);
  for (const e of errors) io.stderr(`logsphere: ${source}: ${e}\n`);
  if (invalid > 0) io.stderr(`logsphere: ${source}: ${invalid} invalid rule${invalid === 1 ? '' : 's'} left out\n`);
  if (options.check) {
    // In the file's own syntax: each printed rule can be pasted back into a rules file.
    io.stdout(`${JSON.stringify({ rules: rules.map(ruleAsWritten) }, null, 2)}\n`);
    io.stderr(`logsphere: ${rules.length} rule${rules.length === 1 ? '' : 's'} from ${source}${errors.length > 0 ? `, ${errors.length} invalid` : ''}\n`);
    return errors.length > 0 ? 1 : 0;
  }
  if (rules.length === 0) throw new Error(`No rule to run: ${source} has no valid rule`);
  const output = { alert: (alert: Alert) => io.stdout(`${jsonText(alert)}\n`), warn: (message: string) => io.stderr(`logsphere: ${message}\n`) };
  await watchLog({ ...options, rules }, config, output, signal);
  return 0;
}

export const watchCommand = defineCommand({
  name: 'watch',
  usage: watchUsage,
  longRunning: true,
  parse: (args) => parseWatchArgs(args),
  run: async (options, { config, io, signal }) => watch(options, await config({ secrets: true }), io, signal),
});
