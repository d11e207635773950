// `logsphere rotate`: the daily upkeep of the log directory (services/logsphere-rotate.timer).
// Rotates the live log when it has reached LOGSPHERE_MAX_BYTES (or at once with --now),
// compresses rotated segments to .gz and removes those past LOGSPHERE_KEEP_DAYS. For hosts where
// logrotate rotates the log instead, --hold-for and --release-for are its prerotate and
// postrotate steps: they keep writers out of the log while logrotate renames it.

import { unlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../../config/config.ts';
import { logFileName } from '../../config/config.ts';
import { forEachRecordIn } from '../../input/inputs.ts';
import { compressSegment } from '../../store/compress-segment.ts';
import { retentionPlan } from '../../store/retention.ts';
import { rotateLog } from '../../store/rotate-log.ts';
import { beginRotation, endRotationOf, liveWriters, waitUntil, type ProcessIdentity } from '../../store/rotation-gate.ts';
import { listSegments, type Segment } from '../../store/segments.ts';
import { processStartTicks } from '../../sys/proc.ts';
import type { CommandIO } from '../io.ts';
import { loadReconciled, localHost, localLiveness } from '../session-source.ts';
import { UsageError } from '../usage.ts';


export const rotateUsage = `Usage: logsphere rotate [OPTIONS]

Rotates the session log when it has reached LOGSPHERE_MAX_BYTES (renamed to
sessions-YYYYMMDDTHHMMSSZ.jsonl; writers are held off for the rename), compresses rotated
segments to .gz and removes segments last written more than LOGSPHERE_KEEP_DAYS days ago —
except those holding the start of a session that is still open. Run daily by
logsphere-rotate.timer.

Options:
      --now               rotate the log now, whatever its size (when it is not empty)
      --no-compress       leave rotated segments uncompressed
      --hold-for PID      logrotate's prerotate step: keep writers out of the log for the
                          process PID (logrotate, $PPID in its script) until --release-for PID
                          or until that process ends
      --release-for PID   logrotate's postrotate step: let writers go on
  -h, --help              show this help
`;

export interface RotateOptions {
  now: boolean;
  compress: boolean;
  holdFor: number | null;
  releaseFor: number | null;
}

function pidOption(value: string | undefined, name: string): number | null {
  if (value === undefined) return null;
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new UsageError(`${name}: not a process id: ${JSON.stringify(value)}`);
  return Number(value);
}

export function parseRotateArgs(args: string[]): RotateOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      now: { type: 'boolean', default: false },
      'no-compress': { type: 'boolean', default: false },
      'hold-for': { type: 'string' },
      'release-for': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const options = {
    now: values.now,
    compress: !values['no-compress'],
    holdFor: pidOption(values['hold-for'], '--hold-for'),
    releaseFor: pidOption(values['release-for'], '--release-for'),
  };
  if (options.holdFor !== null && options.releaseFor !== null) throw new UsageError('--hold-for and --release-for go in separate steps');
  if ((options.holdFor !== null || options.releaseFor !== null) && options.now) throw new UsageError('--now does not go with --hold-for or --release-for');
  return options;
}

const holdWaitMs = 5000;

function identityOf(pid: number): ProcessIdentity {
  const start = processStartTicks(pid);
  if (start === null) throw new Error(`Cannot hold the log for process ${pid}: no such process`);
  return { pid, start };
}

async function hold(pid: number, config: Config, io: CommandIO): Promise<number> {
  const owner = identityOf(pid);
  const held = beginRotation(config.runDir, owner);
  if (held === null) throw new Error(`Cannot hold ${config.logFile}: another rotation is under way`);
  if (!(await waitUntil(config.runDir, () => liveWriters(config.runDir, null) === 0, holdWaitMs))) {
    held.release();
    throw new Error(`Cannot hold ${config.logFile}: writers still appending after ${holdWaitMs} ms`);
  }
  io.stdout(`holding ${config.logFile} for process ${pid}: writers wait until --release-for ${pid} or until it ends\n`);
  return 0;
}

function release(pid: number, config: Config, io: CommandIO): number {
  const start = processStartTicks(pid);
  if (start === null || !endRotationOf(config.runDir, { pid, start })) {
    io.stderr(`logsphere: no hold on ${config.logFile} for process ${pid}\n`);
    return 1;
  }
  io.stdout(`released ${config.logFile}\n`);
  return 0;
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The ids of the sessions still open, from the whole log. */
function openSessionIds(config: Config): Set<string> {
  const loaded = loadReconciled([config.logDir], config, localLiveness(localHost(config)));
  const open = new Set<string>();
  for (let i = 0; i < loaded.count; i++) if (loaded.endOf(i) === null) open.add(loaded.session(i).session_id);
  return open;
}

/** Whether `segment` holds the session_open of one of `open`. */
function startsOneOf(segment: Segment, open: ReadonlySet<string>): boolean {
  let found = false;
  forEachRecordIn({ path: segment.path }, (r) => {
    if (r.event === 'session_open' && open.has(r.session_id)) found = true;
  });
  return found;
}

export async function rotate(options: RotateOptions, config: Config, io: CommandIO, nowMs: number): Promise<number> {
  if (options.holdFor !== null) return hold(options.holdFor, config, io);
  if (options.releaseFor !== null) return release(options.releaseFor, config, io);
  let status = 0;

  if (options.now || config.maxBytes > 0) {
    const outcome = await rotateLog(config, {
      minBytes: options.now ? 1 : config.maxBytes,
      waitMs: holdWaitMs,
      now: () => new Date(nowMs),
    });
    if (outcome.status === 'rotated') io.stdout(`rotated ${logFileName} to ${base(outcome.segment)} (${outcome.bytes} bytes)\n`);
    else if (outcome.status === 'busy') {
      io.stderr(`logsphere: cannot rotate ${config.logFile}: ${outcome.reason}\n`);
      status = 1;
    }
  }

  if (options.compress) {
    for (const segment of listSegments(config.logDir, logFileName)) {
      if (segment.scheme !== 'rotated' || segment.compressed) continue;
      const done = await compressSegment(segment.path);
      io.stdout(`compressed ${base(done.from)} (${done.bytesIn} bytes) to ${base(done.to)} (${done.bytesOut} bytes)\n`);
    }
  }

  // The whole log is read for open sessions only when some segment is past retention.
  let open: Set<string> | null = null;
  const plan = retentionPlan(listSegments(config.logDir, logFileName), config.keepDays, nowMs, (segment) => startsOneOf(segment, (open ??= openSessionIds(config))));
  for (const segment of plan.remove) {
    unlinkSync(segment.path);
    io.stdout(`removed ${segment.name} (last written ${new Date(segment.mtimeMs).toISOString()}, more than ${config.keepDays} days ago)\n`);
  }
  for (const segment of plan.kept) {
    io.stdout(`kept ${segment.name} past ${config.keepDays} days: it holds the start of a session still open\n`);
  }
  return status;
}
