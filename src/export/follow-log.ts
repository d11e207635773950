// Following the log into an output: its records as they are appended — raw, as ECS documents or
// as OpenTelemetry log records — across rotation (every segment in order, compressed or not) and
// truncation. With a checkpoint the position is saved after every batch put out, and a restart
// continues with the next record not put out yet.
//
// Where a run without a saved position begins: a follow that goes on waiting starts at the end
// of the log (what is appended from now on, as `tail -f`); one that stops at the end (`--once`),
// or is asked to (`--from-start`), at the oldest segment — a one-off run puts out the whole log.
//
// Exactly once across a crash: a kill can fall between writing a batch and saving the
// checkpoint. When the output is a regular file (a collector's spool file, `>> file`), the
// restart reads that file's last line and skips the records it already holds, and completes a
// line a kill cut short. On a pipe it cannot look back: records after the checkpoint may be put
// out again (at least once; the event id is the key to drop them downstream).

import { closeSync, constants, fstatSync, openSync, readlinkSync } from 'node:fs';
import { followCheckpointPath, loadFollowCheckpoint, saveFollowCheckpoint, type FollowCheckpoint } from '../checkpoint/follow-checkpoint.ts';
import type { Config } from '../config/config.ts';
import { followTail, followedLog } from '../input/follow-loop.ts';
import { parseRecordLine } from '../record/validate.ts';
import { readRange } from '../input/read-range.ts';
import { LogTail, type TailStart } from '../input/tail.ts';
import { escapeJson } from '../text/terminal.ts';
import { formatRecord, type OutputFormat } from './formats.ts';

export interface FollowRequest {
  format: OutputFormat;
  /** The checkpoint's name in the state directory; null: none. */
  checkpoint: string | null;
  /** Without a saved position: begin at the oldest segment instead of the end (so does `once`). */
  fromStart: boolean;
  /** The log file, or the directory holding sessions.jsonl; null: the configured log. */
  input: string | null;
  /** Stop at the end of the log instead of following it. */
  once: boolean;
}

export interface FollowOutput {
  write(text: string): void;
  warn(message: string): void;
  /** The descriptor written to, looked at after a restart when it is a regular file; null: none. */
  fd: number | null;
  /** A terminal: characters that could steer it are written as JSON escapes. */
  terminal: boolean;
}

/** Bytes of log read per batch; the checkpoint is saved after each batch put out. */
const batchBytes = 1 << 20;

interface Out {
  text: string;
  id: string;
}

/**
 * When `fd` is a regular file: its last complete line and what follows it (a line a kill cut
 * short). Null for pipes, terminals and empty files.
 */
export function outputFileTail(fd: number): { last: string | null; partial: string } | null {
  let st;
  try {
    st = fstatSync(fd);
  } catch {
    return null;
  }
  if (!st.isFile() || st.size === 0) return null;
  // The output is usually write-only: read the same file (same inode) through its name.
  let reader: number;
  try {
    reader = openSync(readlinkSync(`/proc/self/fd/${fd}`), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const again = fstatSync(reader);
    if (again.dev !== st.dev || again.ino !== st.ino) return null;
    const length = Math.min(again.size, 4 << 20);
    const text = readRange(reader, again.size - length, length).toString('utf8');
    const end = text.lastIndexOf('\n');
    const partial = text.slice(end + 1);
    if (end < 0) return { last: null, partial };
    const start = text.lastIndexOf('\n', end - 1);
    return { last: text.slice(start + 1, end), partial };
  } finally {
    closeSync(reader);
  }
}

export async function followLog(options: FollowRequest, config: Config, output: FollowOutput, signal: AbortSignal): Promise<void> {
  const log = followedLog(options.input, config.logFile);
  const warn = output.warn;
  const checkpointPath = options.checkpoint === null ? null : followCheckpointPath(config.stateDir, options.checkpoint);
  const stored = checkpointPath === null ? null : loadFollowCheckpoint(checkpointPath);
  if (stored !== null && stored.log !== log) throw new Error(`Cannot use the checkpoint ${checkpointPath}: it follows ${stored.log}, not ${log}`);
  const start: TailStart = stored?.position ?? (options.fromStart || options.once ? 'oldest' : 'end');
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
      out.push({ text: output.terminal ? escapeJson(text) : text, id: record.event_id });
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
    output.write(`${out.map((o) => o.text).join('\n')}\n`);
    records += out.length;
    lastEventId = (out[out.length - 1] as Out).id;
  };

  if (stored !== null) {
    // What the last run put out after its last checkpoint is at the end of the output file.
    const previous = output.fd === null ? null : outputFileTail(output.fd);
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
          output.write(`${cut.text}\n`.slice(previous.partial.length));
          records++;
          lastEventId = cut.id;
          next++;
        } else {
          output.write('\n');
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
}

