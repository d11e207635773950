// The tools' own diagnostics (never the event log): pino, writing synchronously to stderr with no
// transport. Loaded on first use: a quiet login has nothing to report, and pino costs the hook
// about 18 ms to load (see src/bundle/embedded.ts for what the hook's bundle does on top).

import type { Logger } from 'pino';
import { loadPino } from './load-pino.ts';

let logger: Promise<Logger> | undefined;

export function diagnostics(name: string): Promise<Logger> {
  logger ??= loadPino().then((pino) =>
    pino(
      { name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
      pino.destination({ dest: 2, sync: true }),
    ),
  );
  return logger;
}
