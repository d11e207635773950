// Where commands read records from: files, directories and `-` for standard input. The default
// is the log directory. A directory gives the session log and its rotated segments, oldest first
// (any naming of segments.ts: the writer's own, logrotate's numbered or dated, compressed or
// not), after any other `*.jsonl` and `*.jsonl.gz` files in it (imports), oldest first.
//
// In a directory only regular files are read, and links are not followed: a FIFO there would
// hang the reader, a link could make root read what it points at. Such entries are left out and
// reported. A file named on its own is read as it is (a FIFO as a stream, like `-`).
//
// An input that cannot be opened is an error. One that fails while it is read (a truncated or
// corrupt gzip file, a read error) gives the records before the damage, and the damage is
// reported with them: the caller answers, and says the answer is incomplete.

import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { logFileName } from '../config/config.ts';
import type { LogRecord } from '../record/types.ts';
import { describeFileType } from '../store/errors.ts';
import { listSegments, parseSegmentName, type Segment } from '../store/segments.ts';
import { GunzipStream } from './gunzip.ts';
import { InputError, inputErrorOf } from './input-error.ts';
import { LineReader } from './line-reader.ts';
import { recordSink } from './parse-lines.ts';

export { InputError } from './input-error.ts';

export interface InputFile {
  /** A path, or `-` for standard input. */
  path: string;
  /** Found in a directory: read only while it is a regular file, never through a link. */
  listed?: boolean;
  /** One of the log's own files (the live file or a rotated segment), listed in rotation order. */
  segment?: Segment;
}

/** A directory entry with a log's name that is not read: not a regular file, or a link. */
export interface SkippedEntry {
  path: string;
  /** What it is: `a FIFO`, `a symbolic link`, … */
  what: string;
}

export interface InputList {
  /** The files to read, in reading order. */
  files: InputFile[];
  skipped: SkippedEntry[];
}

const logName = /\.jsonl(\.gz)?$/;

/** The code an InputError has for a listed entry that is no longer a regular file. */
const notRegular = 'ENOTREG';

/** Whether `error` says a file listed from a directory was, when opened, not a regular file. */
export function isNotRegular(error: unknown): error is InputError {
  return error instanceof InputError && error.code === notRegular;
}

/** The files of one input directory, and the entries with a log's name that are left out. */
/** What a file of an input directory that is not read for its name is. */
const notLogName = 'not named *.jsonl or *.jsonl.gz';

function listDirectory(path: string, into: InputList): void {
  const dir = path.replace(/\/+$/, '') || '/';
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw inputErrorOf(path, error);
  }
  const present = new Set(names);
  const others: Array<{ file: string; name: string; mtime: number }> = [];
  const unread: string[] = [];
  const before = into.files.length;
  for (const name of names) {
    // A `.gz` whose plain file is still there is being written by compression: the plain one is read.
    if (name.endsWith('.gz') && present.has(name.slice(0, -3))) continue;
    const segment = parseSegmentName(logFileName, name) !== null;
    if (!segment && (!logName.test(name) || name.startsWith('.'))) {
      if (!name.startsWith('.')) unread.push(name);
      continue;
    }
    const file = `${dir}/${name}`;
    let st;
    try {
      st = lstatSync(file);
    } catch {
      continue; // vanished meanwhile
    }
    if (!st.isFile()) into.skipped.push({ path: file, what: describeFileType(st.mode) });
    else if (!segment) others.push({ file, name, mtime: st.mtimeMs });
  }
  others.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
  for (const o of others) into.files.push({ path: o.file, listed: true });
  for (const segment of listSegments(dir, logFileName)) into.files.push({ path: segment.path, listed: true, segment });
  // A directory that gives nothing to read names what it holds instead (a relay's directory of
  // host directories, files named otherwise), rather than answer as if it were empty.
  if (into.files.length === before) {
    for (const name of unread.sort()) {
      try {
        const st = lstatSync(`${dir}/${name}`);
        into.skipped.push({ path: `${dir}/${name}`, what: st.isFile() ? notLogName : describeFileType(st.mode) });
      } catch {
        // vanished meanwhile
      }
    }
  }
}

/** The input path, as given, that a file came from: a listed file's directory; else the file itself. */
export function inputPathOf(paths: readonly string[], file: InputFile): string {
  if (file.listed !== true) return file.path;
  const dir = file.path.slice(0, file.path.lastIndexOf('/')) || '/';
  return paths.find((p) => (p.replace(/\/+$/, '') || '/') === dir) ?? file.path;
}

/** Expands the given paths to the files to read, in reading order, and the entries left out. */
export function listInputs(paths: readonly string[]): InputList {
  const list: InputList = { files: [], skipped: [] };
  for (const path of paths) {
    if (path === '-') {
      list.files.push({ path });
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch (error) {
      throw inputErrorOf(path, error);
    }
    if (st.isDirectory()) listDirectory(path, list);
    else list.files.push({ path });
  }
  return list;
}

/** The log's own files in a log directory (its rotated segments and live file); null when it cannot be listed. */
export function logFilesOf(logDir: string): InputFile[] | null {
  try {
    return listInputs([logDir]).files.filter((f) => f.segment !== undefined);
  } catch {
    return null;
  }
}

/** Expands the given paths to the files to read, in reading order. */
export function expandInputs(paths: readonly string[]): InputFile[] {
  return listInputs(paths).files;
}

/** The warning for an entry left out. */
export function skippedWarning(entry: SkippedEntry): string {
  if (entry.what === describeFileType(0o040000)) return `skipped ${entry.path}: a directory (the directories in an input directory are not read: give each with --input)`;
  if (entry.what === notLogName) return `skipped ${entry.path}: ${notLogName} (the only files read from an input directory)`;
  const why = entry.what === describeFileType(0o120000) ? 'links in an input directory are not followed' : 'only regular files are read from an input directory';
  return `skipped ${entry.path}: ${entry.what} (${why})`;
}

/** Opens an input for reading; an InputError names the path and the reason. */
export function openInput(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    throw inputErrorOf(path, error);
  }
}

/**
 * Opens an input file: standard input, a file named on its own as it is, a file listed from a
 * directory only while it is a regular file and not a link (without blocking on a FIFO put in
 * its place since it was listed: the InputError's code is then ENOTREG).
 */
export function openInputFile(file: InputFile): number {
  if (file.path === '-') return 0;
  if (file.listed !== true) return openInput(file.path);
  let fd: number;
  try {
    fd = openSync(file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOOP') throw new InputError(file.path, notRegular, describeFileType(0o120000));
    throw inputErrorOf(file.path, error);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new InputError(file.path, notRegular, describeFileType(st.mode));
  }
  return fd;
}

/**
 * The content of an open input a piece at a time, gunzipped when it is a `.gz` file (bounded: see
 * gunzip.ts). A piece is valid until the next one is asked for. Damage (a gzip file that cannot be
 * decompressed further, a read error) throws an InputError after the content before it.
 */
export function* piecesOf(file: InputFile, fd: number): Generator<Buffer> {
  if (file.path.endsWith('.gz')) {
    const gunzip = new GunzipStream(file.path, fd);
    try {
      for (let piece = gunzip.next(); piece !== null; piece = gunzip.next()) yield piece;
    } finally {
      gunzip.close();
    }
    return;
  }
  // 64 KiB: the text of a chunk then stays in V8's young generation and dies there (a megabyte
  // string would go to large-object space and pile up until a full collection).
  const chunk = Buffer.allocUnsafe(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      throw inputErrorOf(file.path, error);
    }
    if (n === 0) return;
    yield chunk.subarray(0, n);
  }
}

/** The content of one input a piece at a time (see piecesOf); an InputError at any failure. */
export function* contentOf(file: InputFile): Generator<Buffer> {
  const fd = openInputFile(file);
  try {
    yield* piecesOf(file, fd);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/**
 * The text of one input to its end, or, when it is damaged, its whole lines before the damage (the
 * line the damage cut short is lost with the rest) and the damage.
 */
export function readInputTextUpToDamage(file: InputFile): { text: string; damage: InputError | null } {
  const pieces: Buffer[] = [];
  let damage: InputError | null = null;
  const fd = openInputFile(file);
  try {
    for (const piece of piecesOf(file, fd)) pieces.push(Buffer.from(piece));
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    damage = error;
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  let content = Buffer.concat(pieces);
  if (damage !== null) content = content.subarray(0, content.lastIndexOf(0x0a) + 1);
  return { text: content.toString('utf8'), damage };
}

/** The text of one input, gunzipped when it is a `.gz` file; an InputError when any of it cannot be read. */
export function readInputText(file: InputFile): string {
  const { text, damage } = readInputTextUpToDamage(file);
  if (damage !== null) throw damage;
  return text;
}

/** What reading one input gave besides its records. */
export interface InputRead {
  /** Malformed lines, overlong lines (line-reader.ts) included. */
  malformed: number;
  /** Where reading stopped before the end, after the records before it; null when it did not. */
  damage: InputError | null;
}

/**
 * Streams one input's records to `onRecord` (a whole history need not fit in memory as text), up
 * to its end or its damage. An input that cannot be opened throws its InputError.
 */
export function forEachRecordIn(file: InputFile, onRecord: (record: LogRecord) => void): InputRead {
  const sink = recordSink(onRecord);
  const reader = new LineReader();
  const fd = openInputFile(file);
  try {
    for (const piece of piecesOf(file, fd)) reader.push(piece, sink);
    reader.end(sink);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The line the damage cut short is part of what was lost, not a malformed line.
    return { malformed: sink.malformed, damage: error };
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return { malformed: sink.malformed, damage: null };
}

export interface ReadResult {
  /** Malformed lines per input, for one warning each. */
  malformed: Array<{ path: string; count: number }>;
  /** Inputs read only up to their damage (each error names its input): the answer lacks the rest. */
  damaged: InputError[];
  /** Directory entries left out. */
  skipped: SkippedEntry[];
}

/**
 * Streams one listed file's records to `onRecord` (forEachRecordIn), notes in `result` its damage
 * or that it was no longer a regular file, and returns how many of its lines were malformed.
 */
export function readNoting(result: Pick<ReadResult, 'damaged' | 'skipped'>, file: InputFile, onRecord: (record: LogRecord) => void): number {
  let read: InputRead;
  try {
    read = forEachRecordIn(file, onRecord);
  } catch (error) {
    // Listed as a regular file, something else by the time it was opened.
    if (!isNotRegular(error)) throw error;
    result.skipped.push({ path: file.path, what: error.detail });
    return 0;
  }
  if (read.damage !== null) result.damaged.push(read.damage);
  return read.malformed;
}

/**
 * Streams one listed file's records to `onRecord` (forEachRecordIn), and notes in `result` what
 * reading it gave: its malformed lines, its damage, or that it was no longer a regular file.
 */
export function readInto(result: ReadResult, file: InputFile, onRecord: (record: LogRecord) => void): void {
  const malformed = readNoting(result, file, onRecord);
  if (malformed > 0) result.malformed.push({ path: file.path === '-' ? 'standard input' : file.path, count: malformed });
}

/** Streams every record of the given paths (expanded) to `onRecord`. */
export function forEachRecord(paths: readonly string[], onRecord: (record: LogRecord) => void): ReadResult {
  const { files, skipped } = listInputs(paths);
  const result: ReadResult = { malformed: [], damaged: [], skipped };
  for (const file of files) readInto(result, file, onRecord);
  return result;
}

export function readRecords(paths: readonly string[]): ReadResult & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { ...forEachRecord(paths, (r) => records.push(r)), records };
}

export function malformedWarnings(result: Pick<ReadResult, 'malformed'>): string[] {
  return result.malformed.map((m) => `skipped ${m.count} malformed line${m.count === 1 ? '' : 's'} in ${m.path}`);
}

/** The warning for an input read only up to its damage. */
export function damageWarning(damage: InputError): string {
  return `${damage.message}; the records before the damage were read`;
}

/** Every warning of a read: entries left out, malformed lines, then inputs read only in part. */
export function readWarnings(result: ReadResult): string[] {
  return [...result.skipped.map(skippedWarning), ...malformedWarnings(result), ...result.damaged.map(damageWarning)];
}
