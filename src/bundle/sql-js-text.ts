// sql.js (SQLite compiled to WebAssembly) in the CLI's bundle (src/bundle/embedded.ts): its
// CommonJS text; null elsewhere. Only `import wtmpdb|lastlog2` imports this module
// (src/legacy/load-sql-js.ts): no other command compiles it. Its WebAssembly is a file beside the
// program (logsphere-sqlite.wasm).

declare const LOGSPHERE_EMBEDDED_SQL_JS: string | undefined;

export const embeddedSqlJs: string | null = typeof LOGSPHERE_EMBEDDED_SQL_JS === 'string' ? LOGSPHERE_EMBEDDED_SQL_JS : null;

/** The WebAssembly's file name, beside the program (scripts/build.mjs writes it into dist/, scripts/install.sh installs it). */
export const sqliteWasmName = 'logsphere-sqlite.wasm';
