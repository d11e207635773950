// Loads sql.js (SQLite compiled to WebAssembly, no native build) when `import wtmpdb|lastlog2`
// opens a database: from its text embedded in the CLI's bundle (src/bundle/embedded.ts), compiled
// on first use, with its WebAssembly from the file beside the program (logsphere-sqlite.wasm), or,
// run from the sources, the package. The text is a piece of the bundle of its own, imported here
// only: no other command, and not the hook, compiles or instantiates it. The WebAssembly is code
// the program runs: it is read only when it can be trusted as the program itself
// (src/sys/code-cache.ts: owned by root or by the program's owner, writable by nobody else).

import type { SqlJsConfig, SqlJsStatic } from 'sql.js';
import { compileCommonJs } from '../bundle/embedded.ts';
import { programOwners, readTrustedFile } from '../sys/code-cache.ts';

let loaded: Promise<SqlJsStatic> | null = null;

/** sql.js, ready to open databases. It prints nothing: SQLite's messages come back as errors. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  loaded ??= load();
  return loaded;
}

/** The bundle's own path (the program run): the main module's, which the bundle's loader hands its pieces. */
function programPath(): string | null {
  const main = (require as NodeJS.Require | undefined)?.main;
  return typeof main?.filename === 'string' ? main.filename : null;
}

async function load(): Promise<SqlJsStatic> {
  const quiet: SqlJsConfig = { print: () => {}, printErr: () => {} };
  const { embeddedSqlJs, sqliteWasmName } = await import('../bundle/sql-js-text.ts');
  if (embeddedSqlJs === null) return (await import('sql.js')).default(quiet);
  const program = programPath();
  if (program === null) throw new Error('Cannot load SQLite: the program does not know where it is');
  const path = `${program.slice(0, program.lastIndexOf('/'))}/${sqliteWasmName}`;
  const wasmBinary = readTrustedFile(path, programOwners(program), 64 * 1024 * 1024);
  if (wasmBinary === undefined) throw new Error(`Cannot load SQLite from ${path}: missing, or not a regular file owned by root (or the program's owner) and writable by nobody else`);
  const exports = await compileCommonJs(embeddedSqlJs);
  const init = exports['initSqlJs'];
  if (typeof init !== 'function') throw new TypeError('Cannot load the embedded sql.js');
  return (init as (config: SqlJsConfig) => Promise<SqlJsStatic>)({ ...quiet, wasmBinary });
}
