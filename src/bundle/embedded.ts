// Which variant of its dependencies a program runs, said in one place. The bundles carry some
// code as text, compiled only on first use: the hook carries pino (its diagnostics; as code V8
// would parse its 150 KB at every login, about 5 ms), the CLI carries the import's name worker
// and the columns worker (started as threads from their text), nodemailer (as code it would
// double what V8 parses at every start, and load tls, https and dns with it) and sql.js (for
// `import wtmpdb|lastlog2`; its WebAssembly is a file beside the program). scripts/build.mjs sets
// these constants with esbuild's `define`; run from the sources (tests, tsc) none is set, and
// each loader takes the package itself (or, for the workers, works on the main thread).
//
// Each text is a module of its own (pino-text.ts, name-worker-text.ts, columns-worker-text.ts,
// nodemailer-text.ts, sql-js-text.ts): the bundles compile a module with the code that imports it
// (scripts/build.mjs), so a command that needs one text does not pay for the others.
/**
 * Compiles an embedded CommonJS text and returns what it exports. Only the bundles carry such
 * texts, and they are CommonJS: `require` is theirs.
 */
export async function compileCommonJs(source: string): Promise<Record<string, unknown>> {
  const module = { exports: {} as Record<string, unknown> };
  const evaluate = new Function('module', 'exports', 'require', source);
  evaluate(module, module.exports, require);
  return module.exports;
}
