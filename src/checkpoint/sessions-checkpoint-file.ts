// The sessions checkpoint as a file: bytes that `logsphere sessions` loads without a string or an
// object per kept session — a JSON line for the few parts that are records and marks, then the
// open columns (sessions-checkpoint.ts) as they are in memory, then the session ids and login
// times as one text. Thousands of open sessions load in about a millisecond, where the same as
// JSON took several, and leave the collector almost nothing to copy.
//
//   logsphere sessions checkpoint 4\n
//   {"files":[…],"strings":[…],"others":[…],"closesWithoutOpen":N,"count":C}\n
//   zero bytes up to a multiple of 8
//   Float64 × C for each number column, Int32 × C for each string column, then the length (in
//   UTF-16 units) of each session id and of each login time, Uint8 × C `ended`, then the ids and
//   login times, each session's id then its login time, as UTF-8
//
// Numbers are in the host's byte order (the file never leaves the host). A file of another
// version, or an older JSON checkpoint, is no checkpoint (read the whole log, without a word);
// anything that does not hold together is an error naming the file.

import { CheckpointError } from './checkpoint-file.ts';
import { checkpointVersion, numberColumns, openColumns, stringColumns, type Checkpoint, type FileMark, type OpenColumns } from './sessions-checkpoint.ts';
import type { LogRecord } from '../record/types.ts';
import { errorCode } from '../store/errors.ts';
import { ensureOwnDirSync, replaceFileSync } from '../store/atomic-file.ts';
import { fs } from '../sys/fs.ts';

const magic = 'logsphere sessions checkpoint ';
/** The file of the JSON checkpoint up to version 3. */
const olderCheckpointName = 'sessions.checkpoint.json';
const firstLine = `${magic}${checkpointVersion}\n`;

/** The checkpoint as the bytes of its file. */
export function encodeSessionsCheckpoint(checkpoint: Checkpoint): Buffer {
  const o = checkpoint.opens;
  const head = Buffer.from(`${firstLine}${JSON.stringify({ files: checkpoint.files, strings: checkpoint.strings, others: checkpoint.others, closesWithoutOpen: checkpoint.closesWithoutOpen, count: o.count })}\n`);
  const lengths = new Int32Array(2 * o.count);
  let text = '';
  for (let i = 0; i < o.count; i++) {
    const id = o.sessionId[i] as string;
    const time = o.loginTime[i] as string;
    lengths[i] = id.length;
    lengths[o.count + i] = time.length;
    text += id + time;
  }
  const bytes = (a: Float64Array | Int32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([
    head,
    Buffer.alloc((8 - (head.length % 8)) % 8),
    ...numberColumns.map((c) => bytes(o[c])),
    ...stringColumns.map((c) => bytes(o[c])),
    bytes(lengths),
    bytes(o.ended),
    Buffer.from(text),
  ]);
}

/** The checkpoint in `data`, read from `path`; null when it is of another version (or an older JSON one). */
export function decodeSessionsCheckpoint(path: string, data: Buffer): Checkpoint | null {
  const bad = (why: string) => new CheckpointError(path, why);
  if (data.length === 0 || data[0] === 0x7b /* { */ || (data.toString('latin1', 0, magic.length) === magic && data.toString('latin1', 0, firstLine.length) !== firstLine)) return null;
  if (data.toString('latin1', 0, firstLine.length) !== firstLine) throw bad('not a sessions checkpoint');
  const end = data.indexOf(0x0a, firstLine.length);
  if (end < 0) throw bad('damaged');
  let head: { files?: unknown; strings?: unknown; others?: unknown; closesWithoutOpen?: unknown; count?: unknown };
  try {
    head = JSON.parse(data.toString('utf8', firstLine.length, end)) as typeof head;
  } catch {
    throw bad('damaged');
  }
  const { files, strings, others, closesWithoutOpen, count } = head;
  if (!Array.isArray(files) || !Array.isArray(strings) || !Array.isArray(others) || typeof closesWithoutOpen !== 'number' || !Number.isSafeInteger(count) || (count as number) < 0) {
    throw bad('damaged');
  }
  const n = count as number;
  let at = end + 1;
  at += (8 - (at % 8)) % 8;
  const need = at + n * (8 * numberColumns.length + 4 * stringColumns.length + 8 + 1);
  if (data.length < need) throw bad('cut short');
  // Typed arrays over the file's bytes: aligned, as the buffer of a file read whole is.
  const aligned = (data.byteOffset % 8 === 0 ? data : Buffer.from(data)) as Buffer;
  const view = <T>(make: new (buffer: ArrayBufferLike, offset: number, length: number) => T, size: number): T => {
    const array = new make(aligned.buffer, aligned.byteOffset + at, n);
    at += size * n;
    return array;
  };
  const o: OpenColumns = openColumns(0);
  o.count = n;
  for (const c of numberColumns) o[c] = view(Float64Array, 8);
  if (!strings.every((x) => typeof x === 'string')) throw bad('damaged');
  for (const c of stringColumns) {
    const column = view(Int32Array, 4);
    // Only a tty and a remote host may be null (-1).
    const least = c === 'tty' || c === 'rhost' ? -1 : 0;
    for (let i = 0; i < n; i++) if (!(column[i] as number >= least && (column[i] as number) < strings.length)) throw bad('a session refers to a string it does not have');
    o[c] = column;
  }
  const lengths = new Int32Array(aligned.buffer, aligned.byteOffset + at, 2 * n);
  at += 8 * n;
  o.ended = view(Uint8Array, 1);
  // One text, and each id and time a slice of it: no string made per session until it is used.
  const text = aligned.toString('utf8', at);
  o.sessionId = new Array<string>(n);
  o.loginTime = new Array<string>(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const a = lengths[i] as number;
    const b = lengths[n + i] as number;
    if (!(a >= 0 && b >= 0) || p + a + b > text.length) throw bad('cut short');
    o.sessionId[i] = text.slice(p, p + a);
    o.loginTime[i] = text.slice(p + a, p + a + b);
    p += a + b;
  }
  if (p !== text.length) throw bad('damaged');
  return { version: checkpointVersion, files: files as FileMark[], strings: strings as string[], opens: o, others: others as LogRecord[], closesWithoutOpen };
}

/** Reads the sessions checkpoint at `path` (without following a link): null when there is none, or it is of another version. */
export function loadSessionsCheckpoint(path: string): Checkpoint | null {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let data: Buffer;
  try {
    const fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      data = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new CheckpointError(path, errorCode(error) ?? String(error));
  }
  return decodeSessionsCheckpoint(path, data);
}

/** Writes the checkpoint at `path` whole and durably, mode 0600 (it holds records, as sensitive as the log). */
export function saveSessionsCheckpoint(path: string, checkpoint: Checkpoint): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  ensureOwnDirSync(dir, 0o755);
  replaceFileSync(path, encodeSessionsCheckpoint(checkpoint), 0o600);
  // The JSON checkpoint of older versions, in the same place, is of no more use.
  try {
    fs.unlinkSync(`${dir}/${olderCheckpointName}`);
  } catch {
    // none there
  }
}
