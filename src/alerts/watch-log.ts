// Watching the log: follows it as it grows (across rotation), evaluates the alert rules on each
// record, and puts every alert out — to the watcher's output, to alerts.jsonl in the state
// directory (the report counts them), and to the webhook and mail when configured. Position,
// rule state and undelivered alerts live in a checkpoint in the state directory, so a restart
// neither repeats nor misses an alert: the outbox is saved before alerts go out and after each.
// Which checkpoint, if any, is watch-checkpoint.ts's rule: the service's is only ever touched
// by a plain watch of the configured log.
//
// Without a checkpoint to go on from, a watch that follows the log first reads all of it — every
// rotated segment, then the live file — to learn (remote hosts seen, recent failures) and alerts
// on what is appended after. A one-off run that keeps no checkpoint has no "after": it alerts on
// the whole log, as --from-start does.

import { loadWatchCheckpoint, saveWatchCheckpoint, watchCheckpointPath, type PendingAlert, type WatchCheckpoint } from '../checkpoint/watch-checkpoint.ts';
import type { Config } from '../config/config.ts';
import { followTail, followedLog } from '../input/follow-loop.ts';
import { forEachLine } from '../input/parse-lines.ts';
import { LogTail } from '../input/tail.ts';
import { ensureOwnDirSync } from '../store/atomic-file.ts';
import type { LogRecord } from '../record/types.ts';
import { alertLogPath, appendAlert } from './alert-log.ts';
import { mailAlert, postWebhook } from './deliver.ts';
import { AlertEngine, type Alert } from './engine.ts';
import type { Rule } from './rules.ts';

export interface WatchRequest {
  rules: readonly Rule[];
  /** The log file, or the directory holding sessions.jsonl; null: the configured log. */
  input: string | null;
  /** With no checkpoint, alert on the records already in the log too. */
  fromStart: boolean;
  /** Stop at the end of the log instead of following it. */
  once: boolean;
  /** A checkpoint of its own, watch-NAME.json in the state directory; null: see watch-checkpoint.ts. */
  checkpoint: string | null;
}

export interface WatchOutput {
  /** An alert put out (printed, by the CLI, as a JSON line). */
  alert(alert: Alert): void;
  warn(message: string): void;
}

/** The alerts raised and not yet delivered everywhere, delivered in order, saved after each step. */
class Outbox {
  constructor(
    public pending: PendingAlert[],
    private readonly config: Config,
    private readonly output: WatchOutput,
    private readonly save: () => void,
  ) {}

  channels(): PendingAlert['to'] {
    return ['stdout', ...(this.config.webhook ? ['webhook' as const] : []), ...(this.config.mail ? ['mail' as const] : [])];
  }

  add(alerts: readonly Alert[]): void {
    this.pending = this.pending.concat(alerts.map((alert) => ({ alert, to: this.channels() })));
  }

  async deliver(): Promise<void> {
    const { config, output } = this;
    while (this.pending.length > 0) {
      const p = this.pending[0] as PendingAlert;
      if (p.to.includes('stdout')) {
        output.alert(p.alert);
        // A run that keeps no checkpoint may be the first to write in the state directory.
        ensureOwnDirSync(config.stateDir, 0o755);
        appendAlert(alertLogPath(config.stateDir), p.alert);
        p.to = p.to.filter((t) => t !== 'stdout');
        this.save();
      }
      if (p.to.includes('webhook') && config.webhook !== null) await postWebhook(config.webhook, p.alert, output.warn);
      if (p.to.includes('mail') && config.mail !== null) await mailAlert(config.mail, p.alert, output.warn);
      this.pending = this.pending.slice(1);
      this.save();
    }
  }
}

export async function watchLog(request: WatchRequest, config: Config, output: WatchOutput, signal: AbortSignal): Promise<void> {
  const warn = output.warn;
  const log = followedLog(request.input, config.logFile);
  const checkpointPath = watchCheckpointPath(config.stateDir, { name: request.checkpoint, input: request.input, once: request.once });
  let stored = checkpointPath === null ? null : loadWatchCheckpoint(checkpointPath);
  if (stored !== null && stored.log !== log) {
    // The service's after the configured log moved: begun again. A named one is the user's to sort out.
    if (request.checkpoint !== null) throw new Error(`Cannot use the checkpoint ${checkpointPath}: it watches ${stored.log}, not ${log}`);
    warn(`the checkpoint ${checkpointPath} watches ${stored.log}, not ${log}: starting afresh`);
    stored = null;
  }
  const alertOnPast = request.fromStart || (request.once && checkpointPath === null);
  const engine = new AlertEngine(request.rules, stored?.engine ?? null);
  const tail = new LogTail(log, stored?.position ?? 'oldest', warn);
  let lastEventId = stored?.lastEventId ?? null;
  let raised = stored?.alertsRaised ?? 0;
  let malformed = 0;

  const save = () => {
    if (checkpointPath === null) return;
    const checkpoint: WatchCheckpoint = { version: 1, log, position: tail.position(), lastEventId, engine: engine.state(), pending: outbox.pending, alertsRaised: raised };
    saveWatchCheckpoint(checkpointPath, checkpoint);
  };
  const outbox: Outbox = new Outbox(stored?.pending ?? [], config, output, save);

  /** The alerts of `lines`; malformed lines (and `overlong` ones, skipped) counted. */
  const evaluate = (lines: string[], overlong = 0): Alert[] => {
    const alerts: Alert[] = [];
    const bad = overlong + forEachLine(lines.join('\n'), (record: LogRecord) => {
      lastEventId = record.event_id;
      for (const a of engine.add(record)) alerts.push(a);
    });
    if (bad > 0) {
      malformed += bad;
      warn(`skipped ${bad} malformed line${bad === 1 ? '' : 's'} in ${log} (${malformed} in all)`);
    }
    return alerts;
  };

  // First run: learn from the log as it is, every segment of it, unless alerting on it.
  if (stored === null) {
    if (!alertOnPast) {
      // Up to the last whole line; a partial one is read when it is finished.
      for (let read = tail.read(); read.lines.length > 0 || read.overlong !== undefined || read.rotations > 0; read = tail.read()) evaluate(read.lines, read.overlong);
      if (tail.position() !== null) warn(`first run: read ${log} and its rotated segments to learn from the past; alerting on what is appended from now on`);
    }
    save();
  } else if (outbox.pending.length > 0) {
    warn(`delivering ${outbox.pending.length} alert${outbox.pending.length === 1 ? '' : 's'} left from the last run`);
    await outbox.deliver();
  }

  // Rotation is news only once the live file was reached: older segments read on the way end too.
  const onLiveFile = () => tail.position()?.order === Infinity;
  let wasOnLiveFile = onLiveFile();
  await followTail(tail, request, signal, async (read) => {
    if (read.rotations > 0 && wasOnLiveFile) warn(`${log} was rotated; following the new file`);
    if (read.truncations > 0) warn(`${log} was truncated; reading it again from the start`);
    wasOnLiveFile = onLiveFile();
    if (read.lines.length === 0 && read.overlong === undefined) {
      save();
      return;
    }
    const alerts = evaluate(read.lines, read.overlong);
    raised += alerts.length;
    outbox.add(alerts);
    save(); // the outbox first: a stop from here on delivers these on the next start
    await outbox.deliver();
  });
  // Saved while the tail is open: its position is where the next start goes on.
  save();
  tail.close();
}
