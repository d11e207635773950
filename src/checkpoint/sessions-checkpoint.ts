// The checkpoint behind `logsphere sessions`: instead of re-reading the whole history at every
// call, it keeps what can still matter for "who is logged in now" — opens without a close, closes
// without an open (inputs may be out of order), boots and shutdowns — with the identity (device,
// inode), read offset and the last bytes read of each log file. A call reads only what was
// appended since, and follows rotation: a file renamed (same inode under a new name) continues at
// its offset, a segment compressed since (a `.gz` whose content has those last bytes at that
// offset) too, a file removed (retention) just drops out, and a new file of the log is read
// whole. What cannot be explained that way — a file shorter than the offset or with other bytes
// before it (truncated or rewritten in place), a new file that is not part of the log's
// rotation — throws the checkpoint away and reads all. A compressed file that is damaged is read
// up to its damage (inputs.ts), each time, and the damage reported each time.

import { closeSync, fstatSync } from 'node:fs';
import { logFileName } from '../config/config.ts';
import { GunzipStream } from '../input/gunzip.ts';
import { InputError, isNotRegular, openInputFile, type InputFile, type SkippedEntry } from '../input/inputs.ts';
import { LineReader, type LineSink } from '../input/line-reader.ts';
import { bytesBefore, plainFileHolds, positionTailBytes, sameFile, scanCompressed, type ContentScan, type LogPosition } from '../input/log-position.ts';
import { recordSink } from '../input/parse-lines.ts';
import { readRange } from '../input/read-range.ts';
import { pairingKey, reconcile } from '../reconcile/reconcile.ts';
import type { LogRecord } from '../record/types.ts';
import { parseSegmentName } from '../store/segments.ts';

export const checkpointVersion = 2;
const pruneEvery = 1 << 13;

/** Where reading of a file stopped (log-position.ts); a `.gz` segment is read whole, once. */
export interface FileMark extends LogPosition {
  path: string;
}

export interface Checkpoint {
  version: typeof checkpointVersion;
  files: FileMark[];
  /** Records that can still matter for current sessions. */
  kept: LogRecord[];
}

export interface Catchup {
  checkpoint: Checkpoint;
  /** Malformed lines in what was read this time, per file. */
  malformed: Array<{ path: string; count: number }>;
  /** Whether the whole history was read (no usable checkpoint). */
  fullRead: boolean;
  /** Compressed files read only up to their damage. */
  damaged: InputError[];
  /** Listed files that turned out not to be regular files when opened. */
  skipped: SkippedEntry[];
}


const hex = (bytes: Buffer) => bytes.toString('hex');

/**
 * Streams a plain file from `offset` to its end into `sink`, 64 KiB at a time; returns the new
 * mark, just after the last whole line. A line still being written stays for the next call.
 */
function readPlain(path: string, fd: number, offset: number, sink: LineSink): FileMark {
  const st = fstatSync(fd);
  const reader = new LineReader();
  reader.reset(offset);
  while (reader.position < st.size) {
    const chunk = readRange(fd, reader.position, Math.min(1 << 16, st.size - reader.position));
    if (chunk.length === 0) break;
    reader.push(chunk, sink);
  }
  const end = reader.lineEnd;
  return { path, dev: st.dev, ino: st.ino, offset: end, tail: hex(bytesBefore(fd, end)), compressed: false };
}

interface Opened {
  file: InputFile;
  fd: number;
  dev: number;
  ino: number;
  size: number;
  /** A `.gz` file: its content is read through gunzip.ts. */
  compressed: boolean;
  /** A `.gz` file's content, once scanned. */
  scan: ContentScan | null;
}

function openFile(file: InputFile): Opened {
  const fd = openInputFile(file);
  const st = fstatSync(fd);
  return { file, fd, dev: st.dev, ino: st.ino, size: st.size, compressed: file.path.endsWith('.gz'), scan: null };
}

/** One pass over a compressed file's content (the first call's), noting the bytes before each of `offsets`. */
function scan(opened: Opened, offsets: readonly number[]): ContentScan {
  opened.scan ??= scanCompressed(opened.file.path, opened.fd, offsets);
  return opened.scan;
}

/**
 * Whether the bytes before `mark.offset` of this file are the ones the mark saw. A compressed
 * file's content is scanned once, at all the `offsets` it may be compared at.
 */
function continues(opened: Opened, mark: FileMark, offsets: readonly number[]): boolean {
  if (opened.compressed) return scan(opened, offsets).before.get(mark.offset)?.toString('hex') === mark.tail;
  return plainFileHolds(opened.fd, opened.size, mark);
}

type Start = { from: number } | 'done';

/**
 * Where to continue reading each file, given the stored marks; null when what happened cannot be
 * explained by appends and rotation. Inode numbers are reused: a file with a mark's inode but
 * other content is a new file unless it still has the mark's name (then it was rewritten in place)
 * and no compressed segment took over the mark's content.
 */
function plan(opened: readonly Opened[], stored: Checkpoint): Start[] | null {
  const left = new Set(stored.files);
  const offsets = stored.files.map((m) => m.offset);
  const starts: Array<Start | null> = opened.map(() => null);
  const suspects = new Map<number, FileMark>();
  opened.forEach((o, i) => {
    const same = stored.files.find((m) => sameFile(m, o) && m.compressed === o.compressed);
    if (same === undefined) return;
    if (same.compressed ? scan(o, offsets).length === same.offset : continues(o, same, offsets)) {
      left.delete(same);
      starts[i] = same.compressed ? 'done' : { from: same.offset };
    } else {
      suspects.set(i, same);
    }
  });
  // Compressed since it was read (rotate, or logrotate's compress): found by its content.
  opened.forEach((o, i) => {
    if (starts[i] !== null || !o.compressed) return;
    for (const mark of left) {
      if (mark.compressed || mark.offset === 0 || !continues(o, mark, offsets)) continue;
      left.delete(mark);
      starts[i] = { from: mark.offset };
      return;
    }
  });
  const result: Start[] = [];
  for (const [i, o] of opened.entries()) {
    const start = starts[i];
    if (start !== null && start !== undefined) {
      result.push(start);
      continue;
    }
    const suspect = suspects.get(i);
    if (suspect !== undefined && suspect.path === o.file.path && left.has(suspect)) return null; // rewritten in place
    // A file never seen: new records when it belongs to the log's rotation (a new live file, or
    // a segment that came and went between two calls); anything else may repeat what was read.
    const name = o.file.path.slice(o.file.path.lastIndexOf('/') + 1);
    if (parseSegmentName(logFileName, name) === null) return null;
    result.push({ from: 0 });
  }
  return result;
}

/**
 * Reads a file from `from` (a compressed one `done` already: nothing new); returns its new mark
 * and, for a compressed file, the damage it was read up to. A damaged file's mark is the end of
 * what could be read: the next call finds it there, done, and reports the damage again.
 */
function readFrom(opened: Opened, from: number | 'done', sink: LineSink): { mark: FileMark; damage: InputError | null } {
  const { path } = opened.file;
  if (!opened.compressed) return { mark: readPlain(path, opened.fd, from === 'done' ? 0 : from, sink), damage: null };
  const mark = (length: number, last: Buffer): FileMark => ({ path, dev: opened.dev, ino: opened.ino, offset: length, tail: hex(last), compressed: true });
  if (from === 'done') {
    const scanned = scan(opened, []); // by plan() already
    return { mark: mark(scanned.length, scanned.last), damage: scanned.damage };
  }
  const gunzip = new GunzipStream(path, opened.fd);
  const reader = new LineReader({ keep: positionTailBytes });
  try {
    reader.reset(from, gunzip.skip(from, positionTailBytes));
    for (let piece = gunzip.next(); piece !== null; piece = gunzip.next()) reader.push(piece, sink);
    // A compressed segment does not grow: a torn last line is handed on too (a malformed line).
    reader.end(sink);
    return { mark: mark(gunzip.position, reader.bytesBeforeLineEnd()), damage: null };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The line the damage cut short is lost with the rest, not a malformed line.
    return { mark: mark(gunzip.position, gunzip.before(positionTailBytes)), damage: error };
  } finally {
    gunzip.close();
  }
}

/**
 * Drops what can no longer matter: sessions closed by a close in the set (both records go);
 * everything else stays, so that a later record can still pair with it.
 */
export function prune(records: readonly LogRecord[]): LogRecord[] {
  const { sessions } = reconcile(records);
  const closedIds = new Set(sessions.filter((s) => s.end === 'logout').map((s) => s.session_id));
  const closedKeys = new Set(sessions.filter((s) => s.end === 'logout').map(pairingKey));
  const seen = new Set<string>();
  return records.filter((r) => {
    if (seen.has(r.event_id)) return false;
    seen.add(r.event_id);
    if (r.event === 'auth_failure') return false;
    if (r.event === 'session_open') return !closedIds.has(r.session_id);
    if (r.event === 'session_close') {
      if (r.session_id !== null) return !closedIds.has(r.session_id);
      return !closedKeys.has(pairingKey(r));
    }
    return true;
  });
}

/** Brings a checkpoint up to date with `files`, reading only what is new when it can. */
export function catchUp(stored: Checkpoint | null, files: readonly InputFile[]): Catchup {
  const opened: Opened[] = [];
  const skipped: SkippedEntry[] = [];
  try {
    for (const file of files) {
      try {
        opened.push(openFile(file));
      } catch (error) {
        // Listed as a regular file, something else by the time it was opened.
        if (!isNotRegular(error)) throw error;
        skipped.push({ path: file.path, what: error.detail });
      }
    }
    const starts = stored !== null && stored.version === checkpointVersion && Array.isArray(stored.files) ? plan(opened, stored) : null;
    // Pruned as it grows: a full read of a long history keeps only what is still open.
    let records: LogRecord[] = starts !== null && stored !== null ? [...stored.kept] : [];
    const keep = (record: LogRecord) => {
      records.push(record);
      if (records.length >= pruneEvery) records = prune(records);
    };
    const marks: FileMark[] = [];
    const malformed: Catchup['malformed'] = [];
    const damaged: InputError[] = [];
    opened.forEach((o, i) => {
      const start = starts?.[i] ?? { from: 0 };
      const sink = recordSink(keep);
      const { mark, damage } = readFrom(o, start === 'done' ? 'done' : start.from, sink);
      if (sink.malformed > 0) malformed.push({ path: o.file.path, count: sink.malformed });
      if (damage !== null) damaged.push(damage);
      marks.push(mark);
    });
    return { checkpoint: { version: checkpointVersion, files: marks, kept: prune(records) }, malformed, fullRead: starts === null, damaged, skipped };
  } finally {
    for (const o of opened) closeSync(o.fd);
  }
}
