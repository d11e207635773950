// What `watch` and `follow` share: which log file they follow, and waiting for it to change.

import { statSync, watch as watchDir, type FSWatcher } from 'node:fs';
import type { Config } from '../config/config.ts';
import { logFileName } from '../config/config.ts';

/** The log file a follower reads: `--input` (a file, or a directory holding sessions.jsonl) or the configured one. */
export function logPathOf(input: string | null, config: Config): string {
  if (input === null) return config.logFile;
  try {
    if (statSync(input).isDirectory()) return `${input.replace(/\/+$/, '')}/${logFileName}`;
  } catch {
    // Not there yet: followed once it appears.
  }
  return input;
}

/** Resolves when something in `dir` changes, after `ms`, or when `signal` aborts. */
export class ChangeWaiter {
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

