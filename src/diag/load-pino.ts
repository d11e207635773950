// Loads pino: from its text embedded in the hook's bundle (src/bundle/embedded.ts), or, run from
// the sources, the package itself.

import type { pino as Pino } from 'pino';
import { compileCommonJs } from '../bundle/embedded.ts';
import { embeddedPino } from '../bundle/pino-text.ts';

export async function loadPino(): Promise<typeof Pino> {
  if (embeddedPino === null) return (await import('pino')).pino;
  const { pino } = await compileCommonJs(embeddedPino);
  if (typeof pino !== 'function') throw new TypeError('Cannot load the embedded pino');
  return pino as typeof Pino;
}
