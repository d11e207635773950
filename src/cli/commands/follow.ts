// `logsphere follow`: prints the log's records as they are appended — raw, as ECS documents or as
// OpenTelemetry log records — across rotation (every segment in order, compressed or not) and
// truncation. With --checkpoint NAME the position is saved in the state directory after every
// batch put out, and a restart continues with the next record not put out yet.
//
// Exactly once across a crash: a kill can fall between writing a batch and saving the
// checkpoint. When standard output is a regular file (a collector's spool file, `>> file`), the
// restart reads that file's last line and skips the records it already holds, and completes a
// line a kill cut short. On a pipe it cannot look back: records after the checkpoint may be put
// out again (at least once; the event id is the key to drop them downstream).

import { closeSync, constants, fstatSync, openSync, readlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { followCheckpointPath, loadFollowCheckpoint, saveFollowCheckpoint, type FollowCheckpoint } from '../../checkpoint/follow-checkpoint.ts';
import type { Config } from '../../config/config.ts';
import { formatRecord, outputFormats, type OutputFormat } from '../../export/formats.ts';
import { parseRecordLine } from '../../input/parse-lines.ts';
import { readRange } from '../../input/read-range.ts';
import { LogTail, type TailStart } from '../../input/tail.ts';
import type { CommandIO } from '../io.ts';
import { followTail, logPathOf } from '../log-path.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';

export const followUsage = `Usage: logsphere follow [OPTIONS]

Prints the session log's records as they are appended, one line each, following the log
across rotation (each rotated segment in order, compressed or not) and truncation. Without a
checkpoint it starts at the end of the log, or with --from-start at the oldest segment.

Options:
      --format FORMAT     raw (the log's lines unchanged, the default), ecs (Elastic Common
                          Schema, as Auditbeat's login dataset) or otel (OpenTelemetry log
                          data model); see docs/collectors.md for the mapping
      --checkpoint NAME   save the position in the state directory (follow-NAME.json) and
                          continue from it on the next start: no record missed or repeated
      --from-start        with no checkpoint yet, start at the oldest segment of the log
      --input PATH        the log file, or the directory holding sessions.jsonl (default:
                          the configured log)
      --once              stop at the end of the log instead of waiting for more
  -h, --help              show this help

Malformed lines are skipped and counted on standard error.
`;

export interface FollowOptions {
  format: OutputFormat;
  checkpoint: string | null;
  fromStart: boolean;
  input: string | null;
  once: boolean;
}

export function parseFollowArgs(args: string[]): FollowOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      format: { type: 'string', default: 'raw' },
      checkpoint: { type: 'string' },
      'from-start': { type: 'boolean', default: false },
      input: { type: 'string' },
      once: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const format = values.format as OutputFormat;
  if (!outputFormats.includes(format)) throw new UsageError(`--format: expected one of ${outputFormats.join(', ')}, got ${JSON.stringify(values.format)}`);
  if (values.input === '-') throw new UsageError('--input: follow reads a file; standard input cannot be followed');
  return { format, checkpoint: values.checkpoint ?? null, fromStart: values['from-start'], input: values.input ?? null, once: values.once };
}

/** Bytes of log read per batch; the checkpoint is saved after each batch put out. */
const batchBytes = 1 << 20;

interface Out {
  text: string;
  id: string;
}

/**
 * When standard output is a regular file: its last complete line and what follows it (a line a
 * kill cut short). Null for pipes, terminals and empty files.
 */
function outputFileTail(): { last: string | null; partial: string } | null {
  let st;
  try {
    st = fstatSync(1);
  } catch {
    return null;
  }
  if (!st.isFile() || st.size === 0) return null;
  // fd 1 is usually write-only: read the same file (same inode) through its name.
  let fd: number;
  try {
    fd = openSync(readlinkSync('/proc/self/fd/1'), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const again = fstatSync(fd);
    if (again.dev !== st.dev || again.ino !== st.ino) return null;
    const length = Math.min(again.size, 4 << 20);
    const text = readRange(fd, again.size - length, length).toString('utf8');
    const end = text.lastIndexOf('\n');
    const partial = text.slice(end + 1);
    if (end < 0) return { last: null, partial };
    const start = text.lastIndexOf('\n', end - 1);
    return { last: text.slice(start + 1, end), partial };
  } finally {
    closeSync(fd);
  }
}

const terminalUnsafe = /[\u0000-\u001f\u007f-\u009f]/g;

export async function follow(options: FollowOptions, config: Config, io: CommandIO, signal: AbortSignal, toTerminal = false): Promise<number> {
  const log = logPathOf(options.input, config);
  const warn = (message: string) => io.stderr(`logsphere: ${message}\n`);
  const checkpointPath = options.checkpoint === null ? null : followCheckpointPath(config.stateDir, options.checkpoint);
  const stored = checkpointPath === null ? null : loadFollowCheckpoint(checkpointPath);
  if (stored !== null && stored.log !== log) throw new Error(`Cannot use the checkpoint ${checkpointPath}: it follows ${stored.log}, not ${log}`);
  const start: TailStart = stored?.position ?? (options.fromStart ? 'oldest' : 'end');
  const tail = new LogTail(log, start, warn);
  let lastEventId = stored?.lastEventId ?? null;
  let records = stored?.records ?? 0;
  let malformed = 0;

  /** The records of `lines` as output; malformed lines (and `overlong` ones, skipped) counted. */
  const format = (lines: string[], overlong = 0): Out[] => {
    const out: Out[] = [];
    let bad = overlong;
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') continue;
      const record = parseRecordLine(line);
      if (record === null) {
        bad++;
        continue;
      }
      const text = formatRecord(options.format, record, line);
      out.push({ text: toTerminal ? text.replace(terminalUnsafe, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : text, id: record.event_id });
    }
    if (bad > 0) {
      malformed += bad;
      warn(`skipped ${bad} malformed line${bad === 1 ? '' : 's'} in ${log} (${malformed} in all)`);
    }
    return out;
  };

  const save = () => {
    if (checkpointPath === null) return;
    const checkpoint: FollowCheckpoint = { version: 1, log, format: options.format, position: tail.position(), lastEventId, records };
    saveFollowCheckpoint(checkpointPath, checkpoint);
  };

  const emit = (out: Out[]) => {
    if (out.length === 0) return;
    io.stdout(`${out.map((o) => o.text).join('\n')}\n`);
    records += out.length;
    lastEventId = (out[out.length - 1] as Out).id;
  };

  if (stored !== null) {
    // What the last run put out after its last checkpoint is at the end of the output file.
    const previous = outputFileTail();
    if (previous !== null) {
      const read = tail.read(4 * batchBytes);
      const ahead = format(read.lines, read.overlong);
      const printed = previous.last === null ? -1 : ahead.findIndex((o) => o.text === previous.last);
      let next = printed + 1;
      if (next > 0) {
        records += next;
        lastEventId = (ahead[next - 1] as Out).id;
      }
      if (previous.partial !== '') {
        const cut = ahead[next];
        if (cut !== undefined && `${cut.text}\n`.startsWith(previous.partial)) {
          io.stdout(`${cut.text}\n`.slice(previous.partial.length));
          records++;
          lastEventId = cut.id;
          next++;
        } else {
          io.stdout('\n');
          warn('the output file ended in a partial line that is not the next record: ended it with a newline');
        }
      }
      emit(ahead.slice(next));
      save();
    }
  }
  if (checkpointPath !== null && stored === null) save();

  await followTail(tail, { once: options.once, maxBytes: batchBytes }, signal, (read) => {
    if (read.lines.length > 0 || read.overlong !== undefined) emit(format(read.lines, read.overlong));
    save();
  });
  save();
  tail.close();
  return 0;
}

export const followCommand = defineCommand({
  name: 'follow',
  usage: followUsage,
  longRunning: true,
  parse: (args) => parseFollowArgs(args),
  run: async (options, { config, io, signal, stdoutIsTerminal }) => follow(options, await config(), io, signal, stdoutIsTerminal),
});
