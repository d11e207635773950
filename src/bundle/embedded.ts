// Which variant of three dependencies a program runs, said in one place. The bundles carry some
// code as text, compiled only on first use: the hook carries pino (its diagnostics; as code V8
// would parse its 150 KB at every login, about 5 ms), the CLI carries the import's name worker
// (started as a thread from its text) and nodemailer (as code it would double what V8 parses at
// every start, and load tls, https and dns with it). scripts/build.mjs sets these constants with
// esbuild's `define`; run from the sources (tests, tsc) none is set, and each loader takes the
// package itself (or, for the name worker, hashes on the main thread).

declare const LOGSPHERE_EMBEDDED_PINO: string | undefined;
declare const LOGSPHERE_EMBEDDED_NAME_WORKER: string | undefined;
declare const LOGSPHERE_EMBEDDED_NODEMAILER: string | undefined;

/** pino's CommonJS text in the hook's bundle; null elsewhere. */
export const embeddedPino: string | null = typeof LOGSPHERE_EMBEDDED_PINO === 'string' ? LOGSPHERE_EMBEDDED_PINO : null;
/** The name worker's CommonJS text in the CLI's bundle; null elsewhere. */
export const embeddedNameWorker: string | null = typeof LOGSPHERE_EMBEDDED_NAME_WORKER === 'string' ? LOGSPHERE_EMBEDDED_NAME_WORKER : null;
/** nodemailer's CommonJS text in the CLI's bundle; null elsewhere. */
export const embeddedNodemailer: string | null = typeof LOGSPHERE_EMBEDDED_NODEMAILER === 'string' ? LOGSPHERE_EMBEDDED_NODEMAILER : null;

/** Compiles an embedded CommonJS text and returns what it exports. */
export async function compileCommonJs(source: string): Promise<Record<string, unknown>> {
  const { createRequire } = process.getBuiltinModule?.('node:module') ?? (await import('node:module'));
  const module = { exports: {} as Record<string, unknown> };
  const evaluate = new Function('module', 'exports', 'require', source);
  evaluate(module, module.exports, createRequire(import.meta.url));
  return module.exports;
}
