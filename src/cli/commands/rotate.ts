// `logsphere rotate`: the daily upkeep of the log directory (services/logsphere-rotate.timer).
// Rotates the live log when it has reached LOGSPHERE_MAX_BYTES (or at once with --now),
// compresses rotated segments to .gz and removes those past LOGSPHERE_KEEP_DAYS. For hosts where
// logrotate rotates the log instead, --hold-for and --release-for are its prerotate and
// postrotate steps: they keep writers out of the log while logrotate renames it.

import { parseCommandArgs } from '../args.ts';
import { logFileName, type Config } from '../../config/config.ts';
import { holdsOpenSession } from '../../queries/load-sessions.ts';
import { logFilesOf } from '../../input/inputs.ts';
import { SegmentIndex } from '../../input/segment-index.ts';
import type { Micros } from '../../record/time.ts';
import { holdForRotation, releaseAfterRotation, upkeep, type UpkeepEvent } from '../../store/upkeep.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';

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
  const { values } = parseCommandArgs({
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

async function hold(pid: number, config: Config, io: CommandIO): Promise<number> {
  await holdForRotation(config, pid, holdWaitMs);
  io.stdout(`holding ${config.logFile} for process ${pid}: writers wait until --release-for ${pid} or until it ends\n`);
  return 0;
}

function release(pid: number, config: Config, io: CommandIO): number {
  if (!releaseAfterRotation(config, pid)) {
    io.stderr(`logsphere: no hold on ${config.logFile} for process ${pid}\n`);
    return 1;
  }
  io.stdout(`released ${config.logFile}\n`);
  return 0;
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function describe(event: UpkeepEvent, config: Config): { out: string } | { err: string } {
  switch (event.kind) {
    case 'rotated':
      return { out: `rotated ${logFileName} to ${base(event.segment)} (${event.bytes} bytes)` };
    case 'busy':
      return { err: `logsphere: cannot rotate ${config.logFile}: ${event.reason}` };
    case 'compressed':
      return { out: `compressed ${base(event.from)} (${event.bytesIn} bytes) to ${base(event.to)} (${event.bytesOut} bytes)` };
    case 'removed':
      return { out: `removed ${event.segment.name} (last written ${new Date(event.segment.mtimeMs).toISOString()}, more than ${config.keepDays} days ago)` };
    case 'kept':
      return { out: `kept ${event.segment.name} past ${config.keepDays} days: it holds the start of a session still open` };
  }
}

/**
 * Summarizes the rotated segments that have no summary yet and keeps their records in columns
 * (segment-index.ts), as readable as the log, so that the first report or whole history after a
 * rotation need not parse them; drops what the index holds for segments gone.
 */
function indexSegments(config: Config): void {
  const index = new SegmentIndex(config.stateDir, true);
  const files = logFilesOf(config.logDir);
  if (files === null) return; // no log directory: upkeep has said so
  const segments = files.filter((f) => f.segment?.scheme !== 'live');
  for (const segment of segments) {
    try {
      index.summary(segment);
      index.columns(segment);
    } catch {
      // gone or replaced meanwhile: summarized when next read
    }
  }
  index.prune(files);
}

export async function rotate(options: RotateOptions, config: Config, io: CommandIO, now: Micros): Promise<number> {
  if (options.holdFor !== null) return hold(options.holdFor, config, io);
  if (options.releaseFor !== null) return release(options.releaseFor, config, io);
  const rotated = await upkeep(config, { now: options.now, compress: options.compress, waitMs: holdWaitMs }, now, holdsOpenSession(config), (event) => {
    const line = describe(event, config);
    if ('out' in line) io.stdout(`${line.out}\n`);
    else io.stderr(`${line.err}\n`);
  });
  indexSegments(config);
  return rotated ? 0 : 1;
}

export const rotateCommand = defineCommand({
  name: 'rotate',
  usage: rotateUsage,
  parse: (args) => parseRotateArgs(args),
  run: async (options, { config, io, now }) => rotate(options, await config(), io, now),
});
