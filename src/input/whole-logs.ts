// Every record of the inputs, as forEachRecord reads them, except the log's rotated segments that
// the segment index holds in columns (segment-index.ts): those go to the reader whole, without a
// line parsed. What `last` over a whole history reads.

import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { inputPathOf, listInputs, readInto, type InputFile, type ReadResult } from './inputs.ts';
import type { RecordColumns } from './record-columns.ts';
import type { SegmentColumns } from './segment-columns.ts';
import type { Progress } from '../text/progress.ts';

/**
 * Streams every record of `paths` to `onRecord`, as forEachRecord does, except the log's rotated
 * segments that `columnsOf` gives in columns (segment-columns.ts), which go to `onColumns` whole;
 * and says where each input path's records begin.
 */
export function readWholeLogs(
  paths: readonly string[],
  onRecord: (record: LogRecord) => void,
  onColumns: (columns: RecordColumns) => void,
  columnsOf: (segments: readonly InputFile[]) => SegmentColumns,
  progress?: Progress,
): ReadResult & { beginning: (path: string) => Micros | null } {
  const { files, skipped } = listInputs(paths);
  // Progress in bytes of the files as they are on disk, a file at a time.
  const sizes = files.map((f) => f.segment?.size ?? 0);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const result: ReadResult = { malformed: [], damaged: [], skipped };
  const earliest = new Map<string, Micros>();
  const rotated = files.filter((f) => f.segment !== undefined && f.segment.scheme !== 'live');
  const source = columnsOf(rotated);
  try {
    for (const [k, file] of files.entries()) {
      progress?.report(done, total, file.path);
      readFile(file);
      done += sizes[k] as number;
    }
  } finally {
    progress?.end();
    source.close();
  }
  return { ...result, beginning: (path) => earliest.get(path) ?? null };

  function readFile(file: InputFile): void {
    const input = inputPathOf(paths, file);
    const note = (at: Micros) => {
      if (!(at >= (earliest.get(input) ?? Infinity))) earliest.set(input, at);
    };
    const k = rotated.indexOf(file);
    const columns = k >= 0 ? source.columns(k) : null;
    if (columns !== null) {
      onColumns(columns);
      if (columns.earliest !== null) note(columns.earliest);
      if (columns.malformed > 0) result.malformed.push({ path: file.path, count: columns.malformed });
      return;
    }
    readInto(result, file, (r) => {
      note(parseTimestamp(r.ts) ?? 0);
      onRecord(r);
    });
  }
}
