// What `watch` and `follow` share: which log file they follow, and reading it as it grows.

import { realpathSync, statSync, watch as watchDir, type FSWatcher } from 'node:fs';
import { logFileName } from '../config/config.ts';
import { describeFileType } from '../store/errors.ts';
import { InputError, inputErrorOf } from './input-error.ts';
import type { LogTail, TailRead } from './tail.ts';

/**
 * The log file a follower reads: `input` — a log file, or a directory holding sessions.jsonl,
 * where it leads if it is a link — or else `logFile`. An input that is not there, or is neither,
 * is an InputError naming it. The configured log is followed once it appears: the service may
 * start before the first login makes it, and rotation renames it away for a moment.
 */
export function followedLog(input: string | null, logFile: string): string {
  if (input === null) return logFile;
  let path: string;
  let st;
  try {
    path = realpathSync(input);
    st = statSync(path);
  } catch (error) {
    throw inputErrorOf(input, error);
  }
  if (st.isDirectory()) return `${path.replace(/\/+$/, '')}/${logFileName}`;
  if (!st.isFile()) throw new InputError(input, undefined, `${describeFileType(st.mode)}, not a log file or directory to follow`);
  return path;
}

/** Resolves when something in `dir` changes, after `ms`, or when `signal` aborts. */
class ChangeWaiter {
  private watcher: FSWatcher | null = null;
  private wake: (() => void) | null = null;

  constructor(dir: string) {
    try {
      this.watcher = watchDir(dir, { persistent: false }, () => this.wake?.());
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = null; // polling only
    }
  }

  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
  }
}

/**
 * Reads `tail` until `signal` aborts — or, with `once`, until the end of the log — and hands each
 * read that found something (lines, overlong lines skipped, a rotation, a truncation) to
 * `onRead`. When nothing is new it waits for a change in the log's directory (at most a second).
 */
export async function followTail(
  tail: LogTail,
  options: { once: boolean; maxBytes?: number },
  signal: AbortSignal,
  onRead: (read: TailRead) => void | Promise<void>,
): Promise<void> {
  const waiter = options.once ? null : new ChangeWaiter(tail.path.slice(0, tail.path.lastIndexOf('/')) || '/');
  try {
    while (!signal.aborted) {
      const read = tail.read(options.maxBytes);
      if (read.lines.length > 0 || read.overlong !== undefined || read.rotations > 0 || read.truncations > 0) {
        await onRead(read);
        continue;
      }
      if (options.once) break;
      await (waiter as ChangeWaiter).wait(1000, signal);
    }
  } finally {
    waiter?.close();
  }
}
