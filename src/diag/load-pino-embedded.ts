// The hook's pino: its bundled CommonJS source kept as a string in the hook's single file and
// compiled only when there is something to report. As code, V8 would parse its 150 KB at every
// login (about 5 ms, measured with --cpu-prof); as a string it costs a scan. scripts/build.mjs
// provides `logsphere:pino-source` and swaps this module in for load-pino.ts.

import type { pino as Pino } from 'pino';
// @ts-expect-error -- a virtual module that exists only inside the hook's build
import source from 'logsphere:pino-source';

export async function loadPino(): Promise<typeof Pino> {
  const { createRequire } = process.getBuiltinModule?.('node:module') ?? (await import('node:module'));
  const module = { exports: {} as { pino?: typeof Pino } };
  const evaluate = new Function('module', 'exports', 'require', source as string);
  evaluate(module, module.exports, createRequire(import.meta.url));
  if (typeof module.exports.pino !== 'function') throw new TypeError('Cannot load the embedded pino');
  return module.exports.pino;
}
