// The checkpoint behind `logsphere sessions`: instead of re-reading the whole history at every
// call, it keeps what can still matter for "who is logged in now" — opens without a close, closes
// without an open (inputs may be out of order), boots and shutdowns — with the identity (device,
// inode), read offset and a digest of the last bytes read of each log file. A call reads only
// what was appended since. Any sign of rotation or truncation (a file gone, replaced, shorter, or
// its bytes before the offset changed, or a new file) throws the checkpoint away and reads all.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { InputFile } from '../input/inputs.ts';
import { readInputText } from '../input/inputs.ts';
import { forEachLine } from '../input/parse-lines.ts';
import { pairingKey, reconcile } from '../reconcile/reconcile.ts';
import type { SessionRecord } from '../record/types.ts';

export const checkpointVersion = 1;
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

function readRange(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buffer.subarray(0, got);
}

/**
 * Streams `file` from `offset` up to its last newline into `onText`, 64 KiB at a time; returns
 * the new mark. A line still being written stays for the next call.
 */
function readAppended(file: InputFile, offset: number, onText: (text: string) => void): FileMark {
  const fd = openSync(file.path, 'r');
  try {
    const st = fstatSync(fd);
    if (file.path.endsWith('.gz')) {
      // A compressed segment does not grow: read whole, once.
      if (offset === 0) onText(readInputText(file));
      return { path: file.path, dev: st.dev, ino: st.ino, offset: st.size, tail: '' };
    }
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
    return { path: file.path, dev: st.dev, ino: st.ino, offset: end, tail };
  } finally {
    closeSync(fd);
  }
}

/** True when the file at `mark.path` is still the one the mark describes, grown or not. */
function stillSame(mark: FileMark): boolean {
  let fd: number;
  try {
    fd = openSync(mark.path, 'r');
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (st.dev !== mark.dev || st.ino !== mark.ino || st.size < mark.offset) return false;
    if (mark.path.endsWith('.gz')) return st.size === mark.offset;
    const start = Math.max(0, mark.offset - tailBytes);
    return readRange(fd, start, mark.offset - start).toString('hex') === mark.tail;
  } finally {
    closeSync(fd);
  }
}

/** Whether a stored checkpoint can be continued for exactly these files. */
export function usable(checkpoint: Checkpoint | null, files: readonly InputFile[]): checkpoint is Checkpoint {
  if (!checkpoint || checkpoint.version !== checkpointVersion) return false;
  if (checkpoint.files.length !== files.length) return false;
  return checkpoint.files.every((mark, i) => mark.path === files[i]?.path && stillSame(mark));
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

/** Brings a checkpoint up to date with `files`, reading only what was appended when it can. */
export function catchUp(stored: Checkpoint | null, files: readonly InputFile[]): Catchup {
  const continuing = usable(stored, files);
  // Pruned as it grows: a full read of a long history keeps only what is still open.
  let records: SessionRecord[] = continuing ? [...stored.kept] : [];
  const keep = (record: SessionRecord) => {
    records.push(record);
    if (records.length >= pruneEvery) records = prune(records);
  };
  const marks: FileMark[] = [];
  const malformed: Catchup['malformed'] = [];
  files.forEach((file, i) => {
    let count = 0;
    const mark = readAppended(file, continuing ? (stored.files[i]?.offset ?? 0) : 0, (text) => {
      count += forEachLine(text, keep);
    });
    if (count > 0) malformed.push({ path: file.path, count });
    marks.push(mark);
  });
  return { checkpoint: { version: checkpointVersion, files: marks, kept: prune(records) }, malformed, fullRead: !continuing };
}
