// A utmp-format file (wtmp, btmp) read as records on the fly, so that `last -f /var/log/wtmp` and
// `lastb -f /var/log/btmp` answer from the system's own files as util-linux does: such a file is
// told from a log of records by its first bytes, and turned into records by the importer behind
// `logsphere import`, through the one line reader.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LineReader } from '../input/line-reader.ts';
import { recordSink } from '../input/parse-lines.ts';
import type { LogRecord } from '../record/types.ts';
import { importFiles } from './import-runner.ts';
import { recordSize } from './utmp.ts';

/**
 * Whether `head`, the first bytes of a file of `length` bytes, starts a utmp-format file: a whole
 * record whose ut_type, a little-endian int16, is one of glibc's (0 to 9). A log of records starts
 * with `{` or white space, a compressed one with gzip's magic: none of them with a byte below 10
 * followed by a zero.
 */
export function looksLikeUtmp(head: Uint8Array, length: number): boolean {
  return length >= recordSize.x86_64 && head.length >= 2 && (head[0] as number) <= 9 && head[1] === 0;
}

/** Whether the regular file at `path` is a utmp-format file; false for anything that cannot be read (the reader says why). */
export function isUtmpFile(path: string): boolean {
  if (path === '-') return false;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return false;
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && looksLikeUtmp(head, st.size);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Hands each record of the utmp-format file at `path` to `onRecord`, as `logsphere import wtmp`
 * (or `btmp`) with `--host host` would write it; partial and unknown records go to `warn`.
 */
export function forEachUtmpFileRecord(
  path: string,
  kind: 'wtmp' | 'btmp',
  host: string,
  onRecord: (record: LogRecord) => void,
  warn: (message: string) => void,
): void {
  const reader = new LineReader();
  const sink = recordSink(onRecord);
  importFiles(
    { kind, files: [path], host, output: null, layout: null, zone: null, year: null },
    { stdout: (bytes) => reader.push(bytes, sink), warn },
  );
  reader.end(sink);
}
