// The tools' own diagnostics (never the event log): pino, writing synchronously to stderr with no
// transport. Loaded on first use: pino costs the hook ~18 ms of start-up, and a quiet login has
// nothing to report.

import type { Logger } from 'pino';

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

/**
 * pino is CommonJS and calls require() for Node built-ins. The bundles define no require at
 * start (loading node:module costs every run), so it is provided here, on first use only.
 */
async function loadPino(): Promise<typeof import('pino').pino> {
  const scope = globalThis as { require?: unknown };
  if (typeof scope.require === 'undefined') {
    const { createRequire } = await import('node:module');
    scope.require = createRequire(import.meta.url);
  }
  return (await import('pino')).pino;
}
