// Where commands read records from: files, directories and `-` for standard input. The default
// is the log directory. A directory gives the session log and its rotated segments, oldest first
// (any naming of segments.ts: the writer's own, logrotate's numbered or dated, compressed or
// not), after any other `*.jsonl` and `*.jsonl.gz` files in it (imports), oldest first.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { logFileName } from '../config/config.ts';
import type { LogRecord } from '../record/types.ts';
import { listSegments, parseSegmentName } from '../store/segments.ts';
import { GunzipStream } from './gunzip.ts';
import { InputError } from './input-error.ts';
import { LineReader } from './line-reader.ts';
import { recordSink } from './parse-lines.ts';

export { InputError } from './input-error.ts';

export interface InputFile {
  /** A path, or `-` for standard input. */
  path: string;
}

const logName = /\.jsonl(\.gz)?$/;

function describe(error: unknown): { code: string | undefined; detail: string } {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return { code, detail: `permission denied (${code})` };
  if (code === 'ENOENT') return { code, detail: 'no such file or directory' };
  return { code, detail: code ?? String(error) };
}

/** Expands the given paths to the files to read, in reading order. */
export function expandInputs(paths: readonly string[]): InputFile[] {
  const files: InputFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push({ path });
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch (error) {
      const { code, detail } = describe(error);
      throw new InputError(path, code, detail);
    }
    if (!st.isDirectory()) {
      files.push({ path });
      continue;
    }
    const dir = path.replace(/\/+$/, '') || '/';
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      const { code, detail } = describe(error);
      throw new InputError(path, code, detail);
    }
    const present = new Set(names);
    const others = names
      .filter((n) => logName.test(n) && !n.startsWith('.') && parseSegmentName(logFileName, n) === null)
      .filter((n) => !(n.endsWith('.gz') && present.has(n.slice(0, -3))))
      .map((name) => {
        const file = `${dir}/${name}`;
        let mtime = 0;
        try {
          mtime = statSync(file).mtimeMs;
        } catch {
          // vanished: reading it will say so
        }
        return { file, name, mtime };
      })
      .sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
    for (const o of others) files.push({ path: o.file });
    for (const segment of listSegments(dir, logFileName)) files.push({ path: segment.path });
  }
  return files;
}

/** Opens an input for reading; an InputError names the path and the reason. */
export function openInput(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    const { code, detail } = describe(error);
    throw new InputError(path, code, detail);
  }
}

/**
 * The content of one input a piece at a time, gunzipped when it is a `.gz` file (bounded: see
 * gunzip.ts). A piece is valid until the next one is asked for.
 */
export function* contentOf(file: InputFile): Generator<Buffer> {
  const fd = file.path === '-' ? 0 : openInput(file.path);
  try {
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
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** The text of one input, gunzipped when it is a `.gz` file. */
export function readInputText(file: InputFile): string {
  const pieces: Buffer[] = [];
  for (const piece of contentOf(file)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces).toString('utf8');
}

/**
 * Streams one input's records to `onRecord` (a whole history need not fit in memory as text);
 * returns its malformed line count, overlong lines (line-reader.ts) included.
 */
export function forEachRecordIn(file: InputFile, onRecord: (record: LogRecord) => void): number {
  const sink = recordSink(onRecord);
  const reader = new LineReader();
  for (const piece of contentOf(file)) reader.push(piece, sink);
  reader.end(sink);
  return sink.malformed;
}

export interface ReadResult {
  /** Malformed lines per input, for one warning each. */
  malformed: Array<{ path: string; count: number }>;
}

/** Streams every record of the given paths (expanded) to `onRecord`. */
export function forEachRecord(paths: readonly string[], onRecord: (record: LogRecord) => void): ReadResult {
  const malformed: ReadResult['malformed'] = [];
  for (const file of expandInputs(paths)) {
    const count = forEachRecordIn(file, onRecord);
    if (count > 0) malformed.push({ path: file.path === '-' ? 'standard input' : file.path, count });
  }
  return { malformed };
}

export function readRecords(paths: readonly string[]): ReadResult & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { ...forEachRecord(paths, (r) => records.push(r)), records };
}

export function malformedWarnings(result: ReadResult): string[] {
  return result.malformed.map((m) => `skipped ${m.count} malformed line${m.count === 1 ? '' : 's'} in ${m.path}`);
}
