// Parses the text of a session log into records. Nothing in the text stops a run: blank lines
// are passed over, CRLF endings accepted, and every other line that is not a `logsphere/1`
// record (invalid JSON, non-objects, wrong field types, unknown events, other schema versions, a
// torn last line) is counted as malformed. Unknown fields are allowed.

import type { LogRecord } from '../record/types.ts';
import type { LineSink } from './line-reader.ts';
import { parseRecordLine } from '../record/validate.ts';

export interface ParsedText {
  records: LogRecord[];
  malformed: number;
}

/** Parses into an array; for tests and small inputs. */
export function parseLines(text: string, into: LogRecord[] = []): ParsedText {
  const malformed = forEachLine(text, (record) => into.push(record));
  return { records: into, malformed };
}

/** Hands each good record to `onRecord`; returns the number of malformed lines. */
export function forEachLine(text: string, onRecord: (record: LogRecord) => void): number {
  let malformed = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    const record = parseRecordLine(line);
    if (record !== null) onRecord(record);
    else malformed++;
  }
  return malformed;
}

/**
 * A line sink (line-reader.ts) that hands each good record to `onRecord` and counts the lines that
 * are not records, overlong ones included.
 */
export function recordSink(onRecord: (record: LogRecord) => void): LineSink & { malformed: number } {
  const sink = {
    malformed: 0,
    lines(text: string) {
      sink.malformed += forEachLine(text, onRecord);
    },
    overlong() {
      sink.malformed++;
    },
  };
  return sink;
}
