// Progress of long work (an import of a large file, `ship --once`, `last` over a large history)
// on standard error when it is a terminal: one line, rewritten in place at most a few times a
// second, and erased when the work ends, so that what the command prints stays as it was. Where
// standard error is not a terminal (a pipe, a file, a journal) nothing is written at all; nor
// with --json, whose reader may share the terminal.

/** Work done out of a total (the core's long loops report to it; only the CLI shows it). */
export interface Progress {
  /** `done` of `total`, and what is being worked on (a file name). */
  report(done: number, total: number, what?: string): void;
  /** The work is over: the line is erased. */
  end(): void;
}

export const silentProgress: Progress = { report() {}, end() {} };

/** How often the line is rewritten, at most. */
const everyMs = 200;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;

/** Bytes as MiB, or a count as it is. */
export type ProgressUnit = 'bytes' | 'count';

/**
 * A progress line written through `write` (standard error, a terminal): `label: 42% (12 MiB of
 * 29 MiB) what`. The clock is read once per report and nothing is written between two rewrites,
 * so a loop may report as often as it likes.
 */
export function terminalProgress(write: (text: string) => void, label: string, unit: ProgressUnit = 'bytes', clock: () => number = Date.now): Progress {
  let last = -Infinity;
  let shown = false;
  let current = '';
  const amount = (n: number) => (unit === 'bytes' ? mib(n) : String(n));
  return {
    report(done, total, what) {
      if (what !== undefined) current = what;
      const now = clock();
      if (now - last < everyMs) return;
      last = now;
      const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
      // Names are written as they are only when plain: a file name is the user's own text.
      const name = /^[\x20-\x7e]*$/.test(current) ? current : '';
      write(`\r\x1b[K${label}: ${percent}% (${amount(done)} of ${amount(total)})${name === '' ? '' : ` ${name}`}`);
      shown = true;
    },
    end() {
      if (shown) write('\r\x1b[K');
      shown = false;
    },
  };
}
