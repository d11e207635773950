// The checkpoint behind `logsphere sessions`: instead of re-reading the whole history at every
// call, it keeps what can still matter for "who is logged in now" — opens without a close, closes
// without an open (inputs may be out of order), boots and shutdowns — with the identity (device,
// inode), read offset and the last bytes read of each log file. A call reads only what was
// appended since, and follows rotation: a file renamed (same inode under a new name) continues at
// its offset, a segment compressed since (a `.gz` whose content has those last bytes at that
// offset) too, a file removed (retention) just drops out, and a new file of the log is read
// whole. What cannot be explained that way — a file shorter than the offset or with other bytes
// before it (truncated or rewritten in place), a new file that is not part of the log's
// rotation — throws the checkpoint away and reads all.

import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { logFileName } from '../config/config.ts';
import { gunzipInput, type InputFile } from '../input/inputs.ts';
import { forEachLine } from '../input/parse-lines.ts';
import { readRange } from '../input/read-range.ts';
import { pairingKey, reconcile } from '../reconcile/reconcile.ts';
import type { SessionRecord } from '../record/types.ts';
import { parseSegmentName } from '../store/segments.ts';

export const checkpointVersion = 2;
const tailBytes = 64;
const pruneEvery = 1 << 13;

export interface FileMark {
  path: string;
  dev: number;
  ino: number;
  /** Bytes consumed: up to and including the last complete line. */
  offset: number;
  /** The last bytes before `offset`, hex: a file rewritten in place no longer matches. */
  tail: string;
  /** A `.gz` segment: `offset` counts uncompressed bytes, and the file is read whole, once. */
  compressed: boolean;
}

export interface Checkpoint {
  version: typeof checkpointVersion;
  files: FileMark[];
  /** Records that can still matter for current sessions. */
  kept: SessionRecord[];
}

export interface Catchup {
  checkpoint: Checkpoint;
  /** Malformed lines in what was read this time, per file. */
  malformed: Array<{ path: string; count: number }>;
  /** Whether the whole history was read (no usable checkpoint). */
  fullRead: boolean;
}


/** Hands whole lines of `data` from `offset` to `onText`; returns the offset after the last one. */
function linesFrom(data: Buffer, offset: number, onText: (text: string) => void): number {
  const last = data.lastIndexOf(0x0a);
  if (last < offset) return offset;
  onText(data.toString('utf8', offset, last + 1));
  return last + 1;
}

const tailOf = (data: Buffer, end: number) => data.subarray(Math.max(0, end - tailBytes), end).toString('hex');

/**
 * Streams a plain file from `offset` up to its last newline into `onText`, 64 KiB at a time;
 * returns the new mark. A line still being written stays for the next call.
 */
function readPlain(path: string, fd: number, offset: number, onText: (text: string) => void): FileMark {
  const st = fstatSync(fd);
  let end = offset; // just after the last newline handed on
  let carry: Buffer | null = null;
  for (let position = offset; position < st.size; ) {
    const chunk = readRange(fd, position, Math.min(1 << 16, st.size - position));
    if (chunk.length === 0) break;
    position += chunk.length;
    const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const last = data.lastIndexOf(0x0a);
    if (last < 0) {
      carry = data;
      continue;
    }
    onText(data.toString('utf8', 0, last + 1));
    end = position - (data.length - last - 1);
    carry = last + 1 < data.length ? data.subarray(last + 1) : null;
  }
  const tail = readRange(fd, Math.max(0, end - tailBytes), Math.min(tailBytes, end)).toString('hex');
  return { path, dev: st.dev, ino: st.ino, offset: end, tail, compressed: false };
}

interface Opened {
  file: InputFile;
  fd: number;
  dev: number;
  ino: number;
  size: number;
  /** A `.gz` file's content. */
  data: Buffer | null;
}

function openFile(file: InputFile): Opened {
  const fd = openSync(file.path, 'r');
  const st = fstatSync(fd);
  let data: Buffer | null = null;
  if (file.path.endsWith('.gz')) {
    try {
      data = gunzipInput(file.path, readFileSync(fd));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
  return { file, fd, dev: st.dev, ino: st.ino, size: st.size, data };
}

/** Whether the bytes before `mark.offset` of this file are the ones the mark saw. */
function continues(opened: Opened, mark: FileMark): boolean {
  if (opened.data !== null) {
    return opened.data.length >= mark.offset && tailOf(opened.data, mark.offset) === mark.tail;
  }
  if (opened.size < mark.offset) return false;
  const start = Math.max(0, mark.offset - tailBytes);
  return readRange(opened.fd, start, mark.offset - start).toString('hex') === mark.tail;
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
  const starts: Array<Start | null> = opened.map(() => null);
  const suspects = new Map<number, FileMark>();
  opened.forEach((o, i) => {
    const same = stored.files.find((m) => m.dev === o.dev && m.ino === o.ino && m.compressed === (o.data !== null));
    if (same === undefined) return;
    if (same.compressed ? o.data?.length === same.offset : continues(o, same)) {
      left.delete(same);
      starts[i] = same.compressed ? 'done' : { from: same.offset };
    } else {
      suspects.set(i, same);
    }
  });
  // Compressed since it was read (rotate, or logrotate's compress): found by its content.
  opened.forEach((o, i) => {
    if (starts[i] !== null || o.data === null) return;
    for (const mark of left) {
      if (mark.compressed || mark.offset === 0 || !continues(o, mark)) continue;
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

function readFrom(opened: Opened, from: number, onText: (text: string) => void): FileMark {
  if (opened.data === null) return readPlain(opened.file.path, opened.fd, from, onText);
  linesFrom(opened.data, from, onText);
  // A compressed segment does not grow: a torn last line is handed on too (a malformed line).
  const last = opened.data.lastIndexOf(0x0a);
  if (last + 1 < opened.data.length && from <= last + 1) onText(opened.data.toString('utf8', Math.max(from, last + 1)));
  return { path: opened.file.path, dev: opened.dev, ino: opened.ino, offset: opened.data.length, tail: tailOf(opened.data, opened.data.length), compressed: true };
}

/**
 * Drops what can no longer matter: sessions closed by a close in the set (both records go);
 * everything else stays, so that a later record can still pair with it.
 */
export function prune(records: readonly SessionRecord[]): SessionRecord[] {
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
  try {
    for (const file of files) opened.push(openFile(file));
    const starts = stored !== null && stored.version === checkpointVersion && Array.isArray(stored.files) ? plan(opened, stored) : null;
    // Pruned as it grows: a full read of a long history keeps only what is still open.
    let records: SessionRecord[] = starts !== null && stored !== null ? [...stored.kept] : [];
    const keep = (record: SessionRecord) => {
      records.push(record);
      if (records.length >= pruneEvery) records = prune(records);
    };
    const marks: FileMark[] = [];
    const malformed: Catchup['malformed'] = [];
    opened.forEach((o, i) => {
      const start = starts?.[i] ?? { from: 0 };
      let count = 0;
      const mark = readFrom(o, start === 'done' ? (o.data?.length ?? 0) : start.from, (text) => {
        count += forEachLine(text, keep);
      });
      if (count > 0) malformed.push({ path: o.file.path, count });
      marks.push(mark);
    });
    return { checkpoint: { version: checkpointVersion, files: marks, kept: prune(records) }, malformed, fullRead: starts === null };
  } finally {
    for (const o of opened) closeSync(o.fd);
  }
}
