// Every record of the inputs, as forEachRecord reads them, except the log's rotated segments that
// the segment index holds in columns (segment-index.ts): those go to the reader whole, without a
// line parsed. What `last` over a whole history reads.

import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { inputPathOf, listInputs, readInto, type InputFile, type ReadResult } from './inputs.ts';
import type { RecordColumns } from './record-columns.ts';

/**
 * Streams every record of `paths` to `onRecord`, as forEachRecord does, except the log's rotated
 * segments that `columnsOf` has in columns (segment-index.ts), which go to `onColumns` whole; and
 * says where each input path's records begin.
 */
export function readWholeLogs(
  paths: readonly string[],
  onRecord: (record: LogRecord) => void,
  onColumns: (columns: RecordColumns) => void,
  columnsOf: (file: InputFile) => RecordColumns | null,
): ReadResult & { beginning: (path: string) => Micros | null } {
  const { files, skipped } = listInputs(paths);
  const result: ReadResult = { malformed: [], damaged: [], skipped };
  const earliest = new Map<string, Micros>();
  for (const file of files) {
    const input = inputPathOf(paths, file);
    const note = (at: Micros) => {
      if (!(at >= (earliest.get(input) ?? Infinity))) earliest.set(input, at);
    };
    const columns = file.segment !== undefined && file.segment.scheme !== 'live' ? columnsOf(file) : null;
    if (columns !== null) {
      onColumns(columns);
      if (columns.earliest !== null) note(columns.earliest);
      if (columns.malformed > 0) result.malformed.push({ path: file.path, count: columns.malformed });
      continue;
    }
    readInto(result, file, (r) => {
      note(parseTimestamp(r.ts) ?? 0);
      onRecord(r);
    });
  }
  return { ...result, beginning: (path) => earliest.get(path) ?? null };
}
