// The inputs of `last` and `lastb` as util-linux users name them (`-f FILE`): logs of records, or
// utmp-format files (wtmp, btmp) read through src/legacy on the fly; and for each input, where
// its records begin, for util-linux's closing line `wtmp begins Wed May  1 08:00:00 2024`.

import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Config } from '../config/config.ts';
import { forEachRecord, type ReadResult } from '../input/inputs.ts';
import { forEachUtmpFileRecord, isUtmpFile } from '../legacy/utmp-input.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import type { RecordReader } from './load-sessions.ts';

/** Where the records of one input begin. */
export interface Beginning {
  /** The input as util-linux names it: the file's name (the log's for the log directory). */
  name: string;
  /** The earliest record's time; with no record, the input's change time (util-linux: the file's ctime). */
  at: Micros;
}

export interface NamedInputs {
  /** Reads paths as loadReconciled or forEachRecord would, utmp-format files included. */
  read: RecordReader;
  /** Where each input read begins, in the order read. */
  beginnings: Beginning[];
  /** Partial or unknown records of utmp-format files, for stderr. */
  warnings: string[];
}

/**
 * A reader for the inputs of `last` (utmp-format files read as wtmp) or `lastb` (as btmp). Their
 * records are given `host` (this host), as `logsphere import` does without `--host`.
 */
export function namedInputs(config: Config, as: 'wtmp' | 'btmp', host: string, now: Micros): NamedInputs {
  const beginnings: Beginning[] = [];
  const warnings: string[] = [];
  const read: RecordReader = (paths, onRecord) => {
    const result: ReadResult = { malformed: [], damaged: [], skipped: [] };
    for (const path of paths) {
      let earliest = Infinity;
      const seen = (record: LogRecord) => {
        const at = parseTimestamp(record.ts);
        if (at !== null && at < earliest) earliest = at;
        onRecord(record);
      };
      if (isUtmpFile(path)) {
        forEachUtmpFileRecord(path, as, host, seen, (message) => warnings.push(message));
      } else {
        const one = forEachRecord([path], seen);
        result.malformed.push(...one.malformed);
        result.damaged.push(...one.damaged);
        result.skipped.push(...one.skipped);
      }
      const isLog = path === config.logDir;
      beginnings.push({ name: beginningName(config, path), at: Number.isFinite(earliest) ? earliest : changeTime(isLog ? [config.logFile, path] : [path], now) });
    }
    return result;
  };
  return { read, beginnings, warnings };
}

/** An input as util-linux names it in its closing line: the file's name (the log's for the log directory). */
export function beginningName(config: Config, path: string): string {
  return path === '-' ? 'standard input' : path === config.logDir ? basename(config.logFile) : basename(path.replace(/\/+$/, '')) || path;
}

/** The change time of the first of `paths` that exists; `now` for standard input or none. */
export function changeTime(paths: readonly string[], now: Micros): Micros {
  for (const path of paths) {
    if (path === '-') break;
    try {
      return Math.floor(statSync(path).ctimeMs / 1000) * 1e6;
    } catch {
      // try the next
    }
  }
  return now;
}
