// Loads pino. This is the plain version (tests, the CLI); the hook's bundle replaces this module
// with load-pino-embedded.ts (scripts/build.mjs).

import type { pino as Pino } from 'pino';

export async function loadPino(): Promise<typeof Pino> {
  return (await import('pino')).pino;
}
